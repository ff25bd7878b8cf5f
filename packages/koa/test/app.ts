import { type AuthApp, type MiddlewareAdapter, type Seen, serve } from '@keyward/internal-testing'
import Koa, { type Middleware, type ParameterizedContext } from 'koa'
import { type ApiKeyAuthOptions, apiKeyAuth, requireScopes } from '../src/index.js'

/** Copy what later middleware and loggers can read off `ctx`. */
export function snapshot(ctx: ParameterizedContext): Seen {
	return {
		apiKey: ctx.state.apiKey,
		hasApiKey: 'apiKey' in ctx.state,
		urls: {
			url: ctx.url,
			originalUrl: ctx.originalUrl,
			'request.originalUrl': ctx.request.originalUrl,
			querystring: ctx.querystring,
			href: ctx.href,
			URL: ctx.URL.href,
		},
		query: { ...ctx.query },
		headers: { ...ctx.headers },
		rawHeaders: [...ctx.req.rawHeaders],
	}
}

/** Serve `middleware` followed by a recording middleware; Koa's 'error' events are recorded too. */
export async function serveApp(...middleware: Middleware[]): Promise<AuthApp> {
	const hits: Seen[] = []
	const errors: AuthApp['errors'] = []
	const app = new Koa()
	// A listener for 'error' also keeps Koa from logging the error itself.
	app.on('error', (error: unknown, ctx: ParameterizedContext) => errors.push({ error, seen: snapshot(ctx) }))
	for (const handler of middleware) app.use(handler)
	app.use(function recordHit(ctx) {
		hits.push(snapshot(ctx))
		ctx.body = { reached: true }
	})
	return { server: await serve(app.callback()), hits, errors }
}

/** The Koa adapter as the shared middleware suites drive it. */
export const adapter: MiddlewareAdapter<Middleware, NonNullable<ApiKeyAuthOptions['skip']>> = {
	apiKeyAuth,
	requireScopes,
	serveApp,
	keyAt: 'ctx.state.apiKey',
	stateAt: 'ctx.state',
	errorText: 'Internal Server Error',
	urlForms: {
		url: 'path',
		originalUrl: 'path',
		'request.originalUrl': 'path',
		querystring: 'query',
		href: 'absolute',
		URL: 'absolute',
	},
	viewing: (use) => async (ctx, next) => {
		use({ path: ctx.path, state: ctx.state })
		await next()
	},
	skipWhen: (test) => (ctx) => test({ path: ctx.path, state: ctx.state }),
	/** Logs once the rest of the chain is done, as koa-logger does. */
	logger: (lines) => async (ctx, next) => {
		try {
			await next()
		} finally {
			lines.push(snapshot(ctx))
		}
	},
	throwing: (message) => () => {
		throw new Error(message)
	},
}
