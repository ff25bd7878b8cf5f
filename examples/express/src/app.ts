import type { Keyward } from '@keyward/core'
import { apiKeyAuth, requireScopes } from '@keyward/express'
import express, { type Express } from 'express'

/**
 * The example API: `/public` is open, everything under `/api` needs an API key,
 * `/api/reports` needs the `reports:read` scope and `/api/admin` the `admin` scope.
 */
export function createApp(keyward: Keyward): Express {
	const app = express()
	app.disable('x-powered-by')

	app.get('/public', (_req, res) => {
		res.json({ message: 'Anyone can read this.' })
	})

	const api = express.Router()
	api.use(apiKeyAuth(keyward))
	api.get('/hello', (req, res) => {
		res.json({ message: `Hello, ${req.apiKey?.owner}!`, keyId: req.apiKey?.id, scopes: req.apiKey?.scopes })
	})
	api.get('/reports', requireScopes('reports:read'), (_req, res) => {
		res.json({ reports: [{ id: 1, title: 'November usage' }] })
	})
	api.get('/admin', requireScopes('admin'), (req, res) => {
		res.json({ message: 'Admin area', owner: req.apiKey?.owner })
	})
	app.use('/api', api)
	return app
}
