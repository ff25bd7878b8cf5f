import { describeAdapterFailureLimit } from '@keyward/internal-testing'
import express from 'express'
import { apiKeyAuth } from '../src/index.js'

describeAdapterFailureLimit({
	name: 'Express',
	proxySetting: "app.set('trust proxy', 'loopback')",
	listener(keyward, behindProxy) {
		const app = express()
		if (behindProxy) app.set('trust proxy', 'loopback')
		app.use(apiKeyAuth(keyward))
		app.use((req, res) => {
			res.json({ id: req.apiKey?.id ?? null, ip: req.ip })
		})
		return app
	},
})
