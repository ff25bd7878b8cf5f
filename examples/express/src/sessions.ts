import type { Keyward } from '@keyward/core'
import { apiKeyAuth, sessionLogin, sessionLogout } from '@keyward/express'
import express, { type Express } from 'express'

/**
 * Logging in with an API key: `POST /login` (a form or JSON with `api_key`, and `username` if you
 * like) sets the session cookie, `POST /logout` ends it, and `/app` takes the key or the cookie.
 * A page opened as `/app?api_key=<key>` is logged in and sent on to `/app` without the key.
 */
export function createSessionApp(keyward: Keyward): Express {
	const app = express()
	app.post('/login', sessionLogin(keyward, { lifetimeMs: 12 * 3_600_000 }))
	app.post('/logout', sessionLogout(keyward))
	app.use('/app', apiKeyAuth(keyward, { session: { fromQuery: true } }))
	app.get('/app', (req, res) => {
		res.json({ owner: req.apiKey?.owner })
	})
	app.post('/app/notes', express.json(), (req, res) => {
		res.status(201).json({ saved: req.body, by: req.apiKey?.owner })
	})
	return app
}
