import type { HideCredentials, Keyward } from '@keyward/core'
import { describeAdapterLogging, type RequestLog, serve, useHarness } from '@keyward/internal-testing'
import express, { type ErrorRequestHandler } from 'express'
import { apiKeyAuth, requireScopes } from '../src/index.js'
import { snapshot } from './app.js'

useHarness()

/**
 * An app logging at every stage: a pino-style serializer before auth, a morgan-style logger when the
 * response finishes, a middleware after auth, the final handler and the error handler.
 */
async function loggedApp(keyward: Keyward, hide: HideCredentials, log: RequestLog) {
	const app = express()
	app.use(function accessLog(req, res, next) {
		const { method, originalUrl, url, query, headers, rawHeaders } = req
		log.redacted({ method, urls: { url: originalUrl, path: url }, query, headers, rawHeaders })
		res.on('finish', () => {
			log.raw(snapshot(req))
			log.finished()
		})
		next()
	})
	app.use(apiKeyAuth(keyward, { hideCredentials: hide }))
	app.use(function afterAuth(req, _res, next) {
		log.raw(snapshot(req))
		next()
	})
	app.get('/admin', requireScopes('admin'))
	app.get('/boom', () => {
		throw new Error('handler failed')
	})
	app.use((req, res) => {
		log.handled(req.apiKey)
		res.json({ id: req.apiKey?.id ?? null })
	})
	const onError: ErrorRequestHandler = (error: Error, req, res, _next) => {
		log.raw(snapshot(req), error)
		res.status(500).json({ error: 'internal' })
	}
	app.use(onError)
	return serve(app)
}

describeAdapterLogging(loggedApp)
