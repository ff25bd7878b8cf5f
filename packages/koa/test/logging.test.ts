import type { HideCredentials, Keyward } from '@keyward/core'
import { describeAdapterLogging, type RequestLog, serve, useHarness } from '@keyward/internal-testing'
import Koa, { type ParameterizedContext } from 'koa'
import { apiKeyAuth, requireScopes } from '../src/index.js'
import { snapshot } from './app.js'

useHarness()

/**
 * An app logging at every stage: a pino-style serializer before auth, a koa-logger-style logger once
 * the response is done, an error-handling middleware, Koa's error event, a middleware after auth and
 * the final middleware.
 */
async function loggedApp(keyward: Keyward, hide: HideCredentials, log: RequestLog) {
	const app = new Koa()
	app.on('error', (error: Error, ctx: ParameterizedContext) => log.raw(snapshot(ctx), error))
	app.use(async function accessLog(ctx, next) {
		log.redacted({
			method: ctx.method,
			urls: { url: ctx.originalUrl, path: ctx.url, href: ctx.href, querystring: `?${ctx.querystring}` },
			query: ctx.query,
			headers: ctx.headers,
			rawHeaders: ctx.req.rawHeaders,
		})
		try {
			await next()
		} finally {
			log.raw(snapshot(ctx))
			log.finished()
		}
	})
	app.use(async function handleErrors(ctx, next) {
		try {
			await next()
		} catch (error) {
			log.raw(snapshot(ctx), error as Error)
			ctx.status = 500
			ctx.body = { error: 'internal' }
		}
	})
	app.use(apiKeyAuth(keyward, { hideCredentials: hide }))
	app.use(async function afterAuth(ctx, next) {
		log.raw(snapshot(ctx))
		await next()
	})
	const adminOnly = requireScopes('admin')
	app.use((ctx, next) => (ctx.path === '/admin' ? adminOnly(ctx, next) : next()))
	app.use((ctx) => {
		if (ctx.path === '/boom') throw new Error('handler failed')
		log.handled(ctx.state.apiKey)
		ctx.body = { id: ctx.state.apiKey?.id ?? null }
	})
	return serve(app.callback())
}

describeAdapterLogging(loggedApp)
