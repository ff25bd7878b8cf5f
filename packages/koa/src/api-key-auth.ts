import type { KeyInfo, Keyward } from '@keyward/core'
import {
	createAuthenticator,
	createScopeGuard,
	type FrameworkBinding,
	hideCredentialsInKoa,
	type MiddlewareOptions,
	refusalBody,
	type SessionBinding,
	setHeaders,
} from '@keyward/core/adapter'
import type { Context, Middleware } from 'koa'

declare module 'koa' {
	interface DefaultState {
		/** Public info of the verified key, set by {@link apiKeyAuth}; `undefined` when not authenticated. */
		apiKey?: KeyInfo | undefined
	}
}

type Skip = (ctx: Context) => boolean | Promise<boolean>

/** What the middleware returns for a request it answered itself. */
const ANSWERED: Promise<void> = Promise.resolve()

/**
 * Options of {@link apiKeyAuth}: `scopes`, `hideCredentials` and `cost` of core's `verify`, plus
 * `optional`, `skip(ctx)`, `preflight` and `session` (the cookie of `sessionLogin`).
 */
export interface ApiKeyAuthOptions extends MiddlewareOptions<Skip> {}

/** What sessions need of Koa; an answer without a body gets an empty one, so Koa keeps its status. */
export const koaSessions: SessionBinding<Context> = {
	request: (ctx) => ctx.req,
	client: (ctx) => ctx.ip,
	// Not `ctx.origin`: in Koa 3 that is the request's Origin header. `ctx.protocol` honours `app.proxy`.
	origin: (ctx) => `${ctx.protocol}://${ctx.host}`,
	location: (ctx) => ctx.originalUrl,
	body: (ctx) => (ctx.request as { body?: unknown }).body,
	respond(ctx, answer) {
		ctx.status = answer.status
		ctx.set(answer.headers)
		for (const cookie of answer.cookies) ctx.append('Set-Cookie', cookie)
		ctx.body = answer.body ?? ''
	},
}

/**
 * Koa as core sees it. Refusals set `ctx.status`, `ctx.set()` and `ctx.body` directly, never
 * `ctx.throw`, whose default handler answers in plain text.
 */
const koa: FrameworkBinding<Context, Skip> = {
	name: 'apiKeyAuth',
	request: (ctx) => ctx.req,
	// Honours `app.proxy`.
	client: (ctx) => ctx.ip,
	skip: (skip, ctx) => skip(ctx),
	hide: hideCredentialsInKoa,
	accept(ctx, result) {
		ctx.state.apiKey = result.key
		// Straight to Node's response: Koa's `ctx.set` only adds checks that cannot fail before `next()`.
		setHeaders(ctx.res, result.headers)
	},
	key: (ctx) => ctx.state.apiKey,
	refuse(ctx, refusal) {
		ctx.status = refusal.status
		ctx.set(refusal.headers)
		ctx.body = refusalBody(refusal)
	},
	session: koaSessions,
}

/**
 * Authenticate requests with keyward. On success `ctx.state.apiKey` holds the key's public info and
 * the response carries the key's RateLimit headers; otherwise the response is JSON
 * `{ "detail": ..., "code": ... }` with the status and headers core chose (`WWW-Authenticate` on
 * 401, `Retry-After` on 429), and `next()` is not called. A key in the query is removed from
 * `ctx.url`, `ctx.querystring`, `ctx.originalUrl`, `ctx.href` and `ctx.URL` before anything else
 * sees the request.
 *
 * With `session`, a request without a key may authenticate with the session cookie of
 * {@link sessionLogin} instead: same `ctx.state.apiKey`, scopes, quota and refusals as its key. A
 * cookie-authenticated change (not GET, HEAD, OPTIONS) must come from a page of this origin, and a
 * `POST` must be JSON or carry the `csrfHeader` (else `403 cross_origin`).
 *
 * Options are validated at once: an unknown or invalid option throws `KeywardError('invalid_option')`.
 * @param keyward - the verifier from `createKeyward()`
 * @param options - see {@link ApiKeyAuthOptions}
 * @example
 * const keyward = createKeyward({ store })
 * app.use(apiKeyAuth(keyward, { scopes: ['read:*'] }))
 * app.use((ctx) => { ctx.body = { owner: ctx.state.apiKey?.owner } })
 * router.get('/app', apiKeyAuth(keyward, { session: { cookie: 'kw_session', fromQuery: true } }), page)
 */
export function apiKeyAuth(keyward: Keyward, options: Readonly<ApiKeyAuthOptions> = {}): Middleware {
	const authenticate = createAuthenticator(keyward, options, koa)
	return function apiKeyAuthMiddleware(ctx, next) {
		const go = authenticate(ctx)
		// A cached key is decided at once: no promise of our own in front of `next()`.
		if (go === true) return next()
		if (go === false) return ANSWERED
		return go.then((ok) => (ok ? next() : undefined))
	}
}

/**
 * Require every one of `scopes` on the key that {@link apiKeyAuth} verified earlier in the chain:
 * 401 `missing` when `ctx.state.apiKey` is absent, 403 `insufficient_scope` when a scope is not
 * granted (`read:*` grants `read:users`, `*` grants everything). Without arguments it only requires
 * an authenticated request, which is useful after `apiKeyAuth(keyward, { optional: true })`.
 *
 * Scopes are validated at once and throw `KeywardError('invalid_option')` when malformed.
 * @example
 * router.delete('/users/:id', requireScopes('users:write'), deleteUser)
 */
export function requireScopes(...scopes: string[]): Middleware {
	const guard = createScopeGuard(scopes, koa)
	return async function requireScopesMiddleware(ctx, next) {
		if (guard(ctx)) await next()
	}
}
