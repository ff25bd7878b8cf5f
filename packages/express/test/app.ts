import { type AuthApp, type MiddlewareAdapter, type Seen, serve } from '@keyward/internal-testing'
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express'
import { type ApiKeyAuthOptions, apiKeyAuth, requireScopes } from '../src/index.js'

/** Copy what later middleware and loggers can read off `req`. */
export function snapshot(req: Request): Seen {
	return {
		apiKey: req.apiKey,
		hasApiKey: 'apiKey' in req,
		urls: { url: req.url, originalUrl: req.originalUrl },
		query: { ...(req.query as Record<string, unknown>) },
		headers: { ...req.headers },
		rawHeaders: [...req.rawHeaders],
	}
}

/** Final handler: records the request and answers 200 `{ reached: true }`. */
export function record(hits: Seen[]): RequestHandler {
	return function recordHit(req, res) {
		hits.push(snapshot(req))
		res.json({ reached: true })
	}
}

/** Error handler: records the error and what it saw of the request, answers 500 JSON. */
function recordErrors(errors: AuthApp['errors']): ErrorRequestHandler {
	return function recordError(error: unknown, req, res, _next) {
		errors.push({ error, seen: snapshot(req) })
		res.status(500).json({ error: 'internal' })
	}
}

/** Serve `handlers` followed by the recording handler and error handler. */
export async function serveApp(...handlers: RequestHandler[]): Promise<AuthApp> {
	const hits: Seen[] = []
	const errors: AuthApp['errors'] = []
	const app = express()
	for (const handler of handlers) app.use(handler)
	app.use(record(hits))
	app.use(recordErrors(errors))
	return { server: await serve(app), hits, errors }
}

/** The Express adapter as the shared middleware suites drive it. */
export const adapter: MiddlewareAdapter<RequestHandler, NonNullable<ApiKeyAuthOptions['skip']>> = {
	apiKeyAuth,
	requireScopes,
	serveApp,
	keyAt: 'req.apiKey',
	stateAt: 'res.locals',
	errorText: JSON.stringify({ error: 'internal' }),
	urlForms: { url: 'path', originalUrl: 'path' },
	viewing: (use) => (req, res, next) => {
		use({ path: req.path, state: res.locals })
		next()
	},
	skipWhen: (test) => (req, res) => test({ path: req.path, state: res.locals }),
	/** Logs at 'finish', as morgan or pino-http do. */
	logger: (lines) => (req, res, next) => {
		res.on('finish', () => lines.push(snapshot(req)))
		next()
	},
	throwing: (message) => () => {
		throw new Error(message)
	},
}
