import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import {
	type AuthApp,
	type HeaderReader,
	type MiddlewareAdapter,
	type RequestView,
	type Seen,
	serve,
} from '@keyward/internal-testing'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import Fastify from 'fastify'
import { apiKeyAuth, type KeywardHook, requireScopes, type SkipRequest } from '../src/index.js'

/** Copy what later hooks, handlers and loggers can read off `request`. */
export function snapshot(request: FastifyRequest): Seen {
	return {
		apiKey: request.apiKey,
		hasApiKey: 'apiKey' in request,
		urls: { url: request.url, originalUrl: request.originalUrl, 'raw.url': request.raw.url ?? '' },
		query: { ...(request.query as Record<string, unknown>) },
		headers: { ...request.headers },
		rawHeaders: [...request.raw.rawHeaders],
	}
}

/** A Node request listener for `app`, which it serves once ready (the first requests wait). */
export function listenerOf(app: FastifyInstance): RequestListener {
	const ready = app.ready()
	return (req: IncomingMessage, res: ServerResponse) => {
		void ready.then(() => app.routing(req, res))
	}
}

/** Per-request state of the test's hooks (Fastify keeps none besides decorations). */
const states = new WeakMap<FastifyRequest, Record<string, unknown>>()
function view(request: FastifyRequest): RequestView {
	let state = states.get(request)
	if (state === undefined) {
		state = {}
		states.set(request, state)
	}
	return { path: request.url.split('?')[0] as string, state }
}

/** Serve `hooks` as `onRequest` hooks, then a route for every path that records the request. */
export async function serveApp(...hooks: KeywardHook[]): Promise<AuthApp> {
	const hits: Seen[] = []
	const errors: AuthApp['errors'] = []
	const app = Fastify()
	for (const hook of hooks) app.addHook('onRequest', hook)
	app.setErrorHandler((error, request, reply) => {
		errors.push({ error, seen: snapshot(request) })
		return reply.code(500).send({ error: 'internal' })
	})
	app.all('/*', async (request) => {
		hits.push(snapshot(request))
		return { reached: true }
	})
	return { server: await serve(listenerOf(app)), hits, errors }
}

/** The Fastify adapter as the shared middleware suites drive it. */
export const adapter: MiddlewareAdapter<KeywardHook, SkipRequest> = {
	apiKeyAuth,
	requireScopes,
	serveApp,
	keyAt: 'request.apiKey',
	stateAt: 'per-request state',
	errorText: JSON.stringify({ error: 'internal' }),
	urlForms: { url: 'path', originalUrl: 'path', 'raw.url': 'path' },
	viewing: (use) => (request, _reply, done) => {
		use(view(request))
		done()
	},
	skipWhen: (test) => (request) => test(view(request)),
	/** Logs when the response is done, as Fastify's own "request completed" line does. */
	logger: (lines) => (request, reply, done) => {
		reply.raw.on('finish', () => lines.push(snapshot(request)))
		done()
	},
	throwing: (message) => () => {
		throw new Error(message)
	},
}

/** `request.headers` as the shared key-management suites read a request: `get(name)`. */
export function headerReader(request: FastifyRequest): HeaderReader {
	return {
		get(name) {
			const value = request.headers[name.toLowerCase()]
			return Array.isArray(value) ? value.join(', ') : value
		},
	}
}
