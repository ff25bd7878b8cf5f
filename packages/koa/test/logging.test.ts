import { type HideCredentials, type Keyward, redactHeaders, redactUrl } from '@keyward/core'
import {
	describeAdapterLogging,
	type LoggedApp,
	type LoggingSinks,
	serve,
	useHarness,
} from '@keyward/internal-testing'
import Koa, { type ParameterizedContext } from 'koa'
import { apiKeyAuth, requireScopes } from '../src/index.js'
import { snapshot } from './app.js'

useHarness()

/** A pino-style request serializer that hides credentials with core's helpers. */
function serialize(ctx: ParameterizedContext) {
	const rawHeaders = ctx.req.rawHeaders
	const raw: string[] = []
	for (let i = 0; i < rawHeaders.length; i += 2) {
		const name = rawHeaders[i] as string
		raw.push(name, redactHeaders({ [name]: rawHeaders[i + 1] })[name] as string)
	}
	return {
		method: ctx.method,
		url: redactUrl(ctx.originalUrl),
		path: redactUrl(ctx.url),
		href: redactUrl(ctx.href),
		querystring: redactUrl(`?${ctx.querystring}`),
		query: redactHeaders(ctx.query, { headers: ['api_key'] }),
		headers: redactHeaders(ctx.headers),
		rawHeaders: raw,
	}
}

/**
 * What a logger reads after authentication. With `hideCredentials: 'query'` headers keep the key
 * by design, so only the URL and query copies are taken.
 */
function rawCopy(ctx: ParameterizedContext, hide: HideCredentials) {
	const { headers, rawHeaders, ...urls } = snapshot(ctx)
	return hide === true ? { ...urls, headers, rawHeaders } : urls
}

/**
 * An app logging at every stage: a pino-style serializer before auth, a koa-logger-style logger once
 * the response is done, an error-handling middleware, Koa's error event, a middleware after auth and
 * the final middleware.
 */
async function loggedApp(keyward: Keyward, hide: HideCredentials): Promise<LoggedApp> {
	const sinks: LoggingSinks = { redacted: [], raw: [] }
	let finished = 0
	const app = new Koa()
	app.on('error', (error: Error, ctx: ParameterizedContext) => {
		sinks.raw.push(JSON.stringify({ seen: rawCopy(ctx, hide), message: error.message, stack: error.stack }))
	})
	app.use(async function accessLog(ctx, next) {
		sinks.redacted.push(JSON.stringify(serialize(ctx)))
		try {
			await next()
		} finally {
			sinks.raw.push(JSON.stringify(rawCopy(ctx, hide)))
			finished++
		}
	})
	app.use(async function handleErrors(ctx, next) {
		try {
			await next()
		} catch (error) {
			const { message, stack } = error as Error
			sinks.raw.push(JSON.stringify({ seen: rawCopy(ctx, hide), message, stack }))
			ctx.status = 500
			ctx.body = { error: 'internal' }
		}
	})
	app.use(apiKeyAuth(keyward, { hideCredentials: hide }))
	app.use(async function afterAuth(ctx, next) {
		sinks.raw.push(JSON.stringify(rawCopy(ctx, hide)))
		await next()
	})
	const adminOnly = requireScopes('admin')
	app.use((ctx, next) => (ctx.path === '/admin' ? adminOnly(ctx, next) : next()))
	app.use((ctx) => {
		if (ctx.path === '/boom') throw new Error('handler failed')
		sinks.raw.push(JSON.stringify({ apiKey: ctx.state.apiKey }))
		ctx.body = { id: ctx.state.apiKey?.id ?? null }
	})
	return { server: await serve(app.callback()), sinks, finished: () => finished }
}

describeAdapterLogging(loggedApp)
