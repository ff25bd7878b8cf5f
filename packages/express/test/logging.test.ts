import { type HideCredentials, type Keyward, redactHeaders, redactUrl } from '@keyward/core'
import {
	describeAdapterLogging,
	type LoggedApp,
	type LoggingSinks,
	serve,
	useHarness,
} from '@keyward/internal-testing'
import express, { type ErrorRequestHandler, type Request } from 'express'
import { apiKeyAuth, requireScopes } from '../src/index.js'
import { snapshot } from './app.js'

useHarness()

/** A pino-style request serializer that hides credentials with core's helpers. */
function serialize(req: Request) {
	const raw: string[] = []
	for (let i = 0; i < req.rawHeaders.length; i += 2) {
		const name = req.rawHeaders[i] as string
		raw.push(name, redactHeaders({ [name]: req.rawHeaders[i + 1] })[name] as string)
	}
	return {
		method: req.method,
		url: redactUrl(req.originalUrl),
		path: redactUrl(req.url),
		query: redactHeaders(req.query as Record<string, unknown>, { headers: ['api_key'] }),
		headers: redactHeaders(req.headers),
		rawHeaders: raw,
	}
}

/**
 * What a logger reads after authentication. With `hideCredentials: 'query'` headers keep the key
 * by design, so only the URL and query copies are taken.
 */
function rawCopy(req: Request, hide: HideCredentials) {
	const seen = snapshot(req)
	return hide === true ? seen : { url: seen.url, originalUrl: seen.originalUrl, query: seen.query }
}

/**
 * An app logging at every stage: a pino-style serializer before auth, a morgan-style logger when the
 * response finishes, a middleware after auth, the final handler and the error handler.
 */
async function loggedApp(keyward: Keyward, hide: HideCredentials): Promise<LoggedApp> {
	const sinks: LoggingSinks = { redacted: [], raw: [] }
	let finished = 0
	const app = express()
	app.use(function accessLog(req, res, next) {
		sinks.redacted.push(JSON.stringify(serialize(req)))
		res.on('finish', () => {
			sinks.raw.push(JSON.stringify(rawCopy(req, hide)))
			finished++
		})
		next()
	})
	app.use(apiKeyAuth(keyward, { hideCredentials: hide }))
	app.use(function afterAuth(req, _res, next) {
		sinks.raw.push(JSON.stringify(rawCopy(req, hide)))
		next()
	})
	app.get('/admin', requireScopes('admin'))
	app.get('/boom', () => {
		throw new Error('handler failed')
	})
	app.use((req, res) => {
		sinks.raw.push(JSON.stringify({ apiKey: req.apiKey }))
		res.json({ id: req.apiKey?.id ?? null })
	})
	const onError: ErrorRequestHandler = (error: Error, req, res, _next) => {
		sinks.raw.push(JSON.stringify({ seen: rawCopy(req, hide), message: error.message, stack: error.stack }))
		res.status(500).json({ error: 'internal' })
	}
	app.use(onError)
	return { server: await serve(app), sinks, finished: () => finished }
}

describeAdapterLogging(loggedApp)
