import type { Keyward } from '@keyward/core'
import { apiKeyAuth, requireScopes } from '@keyward/express'
import express, { type Express } from 'express'

/** The API of an account's keys: `/api/data` needs `read:data`, `/api/notes` needs `write:notes`. */
export function createAccountsApp(keyward: Keyward): Express {
	const app = express()
	app.use('/api', apiKeyAuth(keyward))
	app.get('/api/data', requireScopes('read:data'), (req, res) => {
		res.json({ owner: req.apiKey?.owner, key: req.apiKey?.id, scopes: req.apiKey?.scopes })
	})
	app.get('/api/notes', requireScopes('write:notes'), (req, res) => {
		res.json({ owner: req.apiKey?.owner, key: req.apiKey?.id })
	})
	app.get('/api/hello', (req, res) => {
		res.json({ owner: req.apiKey?.owner, key: req.apiKey?.id })
	})
	return app
}
