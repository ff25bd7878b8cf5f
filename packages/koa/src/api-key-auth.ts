import type { KeyInfo, Keyward } from '@keyward/core'
import {
	hideCredentialsInKoa,
	isPreflight,
	type MiddlewareOptions,
	passMissing,
	resolveMiddlewareOptions,
} from '@keyward/core/adapter'
import type { Context, Middleware } from 'koa'
import { reject } from './respond.js'

declare module 'koa' {
	interface DefaultState {
		/** Public info of the verified key, set by {@link apiKeyAuth}; `undefined` when not authenticated. */
		apiKey?: KeyInfo | undefined
	}
}

/**
 * Options of {@link apiKeyAuth}: `scopes`, `hideCredentials` and `cost` of core's `verify`, plus
 * `optional`, `skip(ctx)` and `preflight`.
 */
export interface ApiKeyAuthOptions extends MiddlewareOptions<(ctx: Context) => boolean | Promise<boolean>> {}

/** The Koa context of a request, kept on the request while it is verified: `ctx.ip` honours `app.proxy`. */
const CONTEXT: unique symbol = Symbol('keyward.koaContext')

type WithContext = { [CONTEXT]?: Context }

/**
 * Authenticate requests with keyward. On success `ctx.state.apiKey` holds the key's public info and
 * the response carries the key's RateLimit headers; otherwise the response is JSON
 * `{ "detail": ..., "code": ... }` with the status and headers core chose (`WWW-Authenticate` on
 * 401, `Retry-After` on 429), and `next()` is not called. A key in the query is removed from
 * `ctx.url`, `ctx.querystring`, `ctx.originalUrl`, `ctx.href` and `ctx.URL` before anything else
 * sees the request.
 *
 * Options are validated at once: an unknown or invalid option throws `KeywardError('invalid_option')`.
 * @param keyward - the verifier from `createKeyward()`
 * @param options - see {@link ApiKeyAuthOptions}
 * @example
 * const keyward = createKeyward({ store })
 * app.use(apiKeyAuth(keyward, { scopes: ['read:*'] }))
 * app.use((ctx) => { ctx.body = { owner: ctx.state.apiKey?.owner } })
 */
export function apiKeyAuth(keyward: Keyward, options: Readonly<ApiKeyAuthOptions> = {}): Middleware {
	const { optional, skip, authenticatePreflight, verify } = resolveMiddlewareOptions(keyward, options, {
		name: 'apiKeyAuth',
		// Read only when a failure limit is configured.
		client: (req) => (req as WithContext)[CONTEXT]?.ip,
	})
	return async function apiKeyAuthMiddleware(ctx, next) {
		const req = ctx.req
		if (!authenticatePreflight && isPreflight(req)) return next()
		if (skip !== undefined && (await skip(ctx))) return next()
		;(req as WithContext)[CONTEXT] = ctx
		const result = await keyward.verify(req, verify)
		hideCredentialsInKoa(ctx, result.hide)
		if (result.ok) {
			ctx.state.apiKey = result.key
			ctx.set(result.headers)
			return next()
		}
		if (optional && result.code === 'missing') {
			passMissing(req, result)
			return next()
		}
		reject(ctx, result)
	}
}
