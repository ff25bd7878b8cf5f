import type { Server } from 'node:http'
import type { KeyInfo } from '@keyward/core'
import { serve } from '@keyward/internal-testing'
import Koa, { type Middleware, type ParameterizedContext } from 'koa'

/** What a middleware behind authentication saw of the request. */
export interface Hit {
	apiKey: KeyInfo | undefined
	hasApiKey: boolean
	url: string
	originalUrl: string
	querystring: string
	query: Record<string, unknown>
	href: string
	URL: string
	headers: Record<string, string | string[] | undefined>
	rawHeaders: string[]
}

/** A test app: the server, what reached the final middleware, and what Koa reported as errors. */
export interface TestApp {
	server: Server
	hits: Hit[]
	errors: Array<{ error: unknown; seen: Hit }>
}

/** Copy what later middleware and loggers can read off `ctx`. */
export function snapshot(ctx: ParameterizedContext): Hit {
	return {
		apiKey: ctx.state.apiKey,
		hasApiKey: 'apiKey' in ctx.state,
		url: ctx.url,
		originalUrl: ctx.originalUrl,
		querystring: ctx.querystring,
		query: { ...ctx.query },
		href: ctx.href,
		URL: ctx.URL.href,
		headers: { ...ctx.headers },
		rawHeaders: [...ctx.req.rawHeaders],
	}
}

/** Final middleware: records the request and answers 200 `{ reached: true }`. */
export function record(hits: Hit[]): Middleware {
	return function recordHit(ctx) {
		hits.push(snapshot(ctx))
		ctx.body = { reached: true }
	}
}

/** A Koa app whose 'error' events are recorded (which also keeps Koa from logging them). */
export function createApp(errors: TestApp['errors']): Koa {
	const app = new Koa()
	app.on('error', (error: unknown, ctx: ParameterizedContext) => errors.push({ error, seen: snapshot(ctx) }))
	return app
}

/** Serve `middleware` followed by the recording middleware. */
export async function serveApp(...middleware: Middleware[]): Promise<TestApp> {
	const hits: Hit[] = []
	const errors: TestApp['errors'] = []
	const app = createApp(errors)
	for (const handler of middleware) app.use(handler)
	app.use(record(hits))
	return { server: await serve(app.callback()), hits, errors }
}
