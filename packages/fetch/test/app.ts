import type { IncomingMessage } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import {
	type AuthApp,
	type MiddlewareAdapter,
	type RequestView,
	type Seen,
	serve,
} from '@keyward/internal-testing'
import { type Context, Hono, type MiddlewareHandler } from 'hono'
import { apiKeyAuth, requireScopes, type SkipContext } from '../src/hono/index.js'

/** The Node request `@hono/node-server` hands the app. */
export function incomingOf(c: Context): IncomingMessage {
	return (c.env as { incoming: IncomingMessage }).incoming
}

/** Copy what later middleware, handlers and loggers can read off `c`. */
export function snapshot(c: Context): Seen {
	return {
		apiKey: c.get('apiKey'),
		hasApiKey: 'apiKey' in c.var,
		urls: { url: c.req.url, 'raw.url': c.req.raw.url, 'incoming.url': incomingOf(c).url ?? '' },
		query: { ...c.req.query() },
		headers: { ...c.req.header() },
		rawHeaders: [...incomingOf(c).rawHeaders],
	}
}

/** Per-request state of the test's middleware. */
const states = new WeakMap<Context, Record<string, unknown>>()
function view(c: Context): RequestView {
	let state = states.get(c)
	if (state === undefined) {
		state = {}
		states.set(c, state)
	}
	return { path: c.req.path, state }
}

/** Serve `middleware` in order, then a handler for every path that records the request. */
export async function serveApp(...middleware: MiddlewareHandler[]): Promise<AuthApp> {
	const hits: Seen[] = []
	const errors: AuthApp['errors'] = []
	const app = new Hono()
	for (const handler of middleware) app.use(handler)
	app.onError((error, c) => {
		errors.push({ error, seen: snapshot(c) })
		return c.json({ error: 'internal' }, 500)
	})
	app.all('*', (c) => {
		hits.push(snapshot(c))
		return c.json({ reached: true })
	})
	return { server: await serve(getRequestListener(app.fetch)), hits, errors }
}

/** The Hono adapter as the shared middleware suites drive it, on `@hono/node-server`. */
export const adapter: MiddlewareAdapter<MiddlewareHandler, SkipContext> = {
	apiKeyAuth,
	requireScopes,
	serveApp,
	keyAt: "c.get('apiKey')",
	stateAt: 'per-request state',
	errorText: JSON.stringify({ error: 'internal' }),
	urlForms: { url: 'absolute', 'raw.url': 'absolute', 'incoming.url': 'path' },
	viewing: (use) => async (c, next) => {
		use(view(c))
		await next()
	},
	skipWhen: (test) => (c) => test(view(c)),
	/** Logs once the rest of the chain is done, as `hono/logger` does. */
	logger: (lines) => async (c, next) => {
		await next()
		lines.push(snapshot(c))
	},
	throwing: (message) => () => {
		throw new Error(message)
	},
}
