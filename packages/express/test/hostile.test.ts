import { describeAdapterHostileRequests } from '@keyward/internal-testing'
import express, { type ErrorRequestHandler } from 'express'
import { apiKeyAuth } from '../src/index.js'

describeAdapterHostileRequests({
	listener(keyward, record) {
		const recordError: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
			record.error(error)
			res.status(500).json({ error: 'internal' })
		}
		const app = express()
		app.use(apiKeyAuth(keyward))
		app.use((req, res) => {
			record.hit()
			res.json({ id: req.apiKey?.id ?? null, url: req.originalUrl })
		})
		app.use(recordError)
		return app
	},
})
