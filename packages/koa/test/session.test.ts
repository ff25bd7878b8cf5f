import { describeAdapterSessions, type SessionAdapter } from '@keyward/internal-testing'
import Koa, { type Middleware } from 'koa'
import { apiKeyAuth, sessionLogin, sessionLogout } from '../src/index.js'

/** A stand-in for the host's body parser: JSON and forms into `ctx.request.body`. */
const hostBodyParser: Middleware = async (ctx, next) => {
	if (ctx.is('json', 'urlencoded')) {
		const chunks: Buffer[] = []
		for await (const chunk of ctx.req) chunks.push(chunk as Buffer)
		const text = Buffer.concat(chunks).toString()
		;(ctx.request as { body?: unknown }).body = ctx.is('json')
			? JSON.parse(text)
			: Object.fromEntries(new URLSearchParams(text))
	}
	await next()
}

/** Run `middleware` for requests under `prefix` only, with the prefix taken off `ctx.path`. */
function under(prefix: string, ...middleware: Middleware[]): Middleware {
	return async (ctx, next) => {
		if (!ctx.path.startsWith(`${prefix}/`)) return next()
		const dispatch = async (i: number): Promise<void> => {
			const step = middleware[i]
			if (step !== undefined) await step(ctx, () => dispatch(i + 1))
		}
		await dispatch(0)
	}
}

const adapter: SessionAdapter = {
	name: 'Koa',
	appFor(keyward, { login = {}, auth = {}, hostParsers = false, behindProxy = false }) {
		const app = new Koa({ proxy: behindProxy })
		if (hostParsers) app.use(hostBodyParser)
		const logIn = sessionLogin(keyward, login)
		const logOut = sessionLogout(keyward, login)
		app.use(async (ctx, next) => {
			if (ctx.path === '/login') return logIn(ctx, next)
			if (ctx.path === '/logout' && ctx.method === 'POST') return logOut(ctx, next)
			return next()
		})
		app.use(
			under('/api', apiKeyAuth(keyward, auth), (ctx) => {
				const key = ctx.state.apiKey
				ctx.body = {
					owner: key?.owner,
					keyId: key?.id,
					method: ctx.method,
					url: ctx.url.slice('/api'.length),
				}
			}),
		)
		return app.callback()
	},
	sessionLogin,
	sessionLogout,
	apiKeyAuth,
}

describeAdapterSessions(adapter)
