import { describeAdapterSessions, type SessionAdapter } from '@keyward/internal-testing'
import express, { type Request, type Response } from 'express'
import { apiKeyAuth, sessionLogin, sessionLogout } from '../src/index.js'

const adapter: SessionAdapter = {
	name: 'Express',
	appFor(keyward, { login = {}, auth = {}, hostParsers = false, behindProxy = false }) {
		const app = express()
		if (behindProxy) app.set('trust proxy', 'loopback')
		if (hostParsers) app.use(express.json(), express.urlencoded({ extended: false }))
		app.all('/login', sessionLogin(keyward, login))
		app.post('/logout', sessionLogout(keyward, login))
		app.use('/api', apiKeyAuth(keyward, auth), (req: Request, res: Response) => {
			res.json({ owner: req.apiKey?.owner, keyId: req.apiKey?.id, method: req.method, url: req.url })
		})
		return app
	},
	sessionLogin,
	sessionLogout,
	apiKeyAuth,
}

describeAdapterSessions(adapter)
