import type { Keyward } from '@keyward/core'
import { apiKeyAuth, requireScopes } from '@keyward/koa'
import Router from '@koa/router'
import Koa from 'koa'

/**
 * The example API on Koa: `/public` is open, everything under `/api` needs an API key,
 * `/api/reports` needs the `reports:read` scope and `/api/admin` the `admin` scope.
 */
export function createApp(keyward: Keyward): Koa {
	const app = new Koa()
	const open = new Router()
	open.get('/public', (ctx) => {
		ctx.body = { message: 'Anyone can read this.' }
	})

	const api = new Router({ prefix: '/api' })
	api.use(apiKeyAuth(keyward))
	api.get('/hello', (ctx) => {
		const key = ctx.state.apiKey
		ctx.body = { message: `Hello, ${key?.owner}!`, keyId: key?.id, scopes: key?.scopes }
	})
	api.get('/reports', requireScopes('reports:read'), (ctx) => {
		ctx.body = { reports: [{ id: 1, title: 'November usage' }] }
	})
	api.get('/admin', requireScopes('admin'), (ctx) => {
		ctx.body = { message: 'Admin area', owner: ctx.state.apiKey?.owner }
	})

	app.use(open.routes())
	app.use(api.routes())
	app.use(api.allowedMethods())
	return app
}
