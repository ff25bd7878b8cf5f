import { describeAdapterFuzz } from '@keyward/internal-testing'
import express, { type ErrorRequestHandler } from 'express'
import { apiKeyAuth } from '../src/index.js'

describeAdapterFuzz({
	// Express answers 404 itself to a target its URL parser rejects, before any middleware runs.
	answersUnroutedWith: 404,
	listener(keyward, record) {
		const recordError: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
			record.error(error)
			res.status(500).json({ error: 'internal' })
		}
		const app = express()
		app.use((_req, _res, next) => {
			record.enter()
			next()
		})
		app.use(apiKeyAuth(keyward))
		app.use((req, res) => {
			res.json({ id: req.apiKey?.id ?? null })
		})
		app.use(recordError)
		return app
	},
})
