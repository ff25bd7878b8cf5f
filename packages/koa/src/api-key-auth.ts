import { isPreflight, type KeyInfo, type Keyward } from '@keyward/core'
import type { Middleware } from 'koa'
import { hideCredentialCopies } from './hide.js'
import { type ApiKeyAuthOptions, resolveOptions } from './options.js'
import { reject, rememberMissing } from './respond.js'

declare module 'koa' {
	interface DefaultState {
		/** Public info of the verified key, set by {@link apiKeyAuth}; `undefined` when not authenticated. */
		apiKey?: KeyInfo | undefined
	}
}

/**
 * Authenticate requests with keyward. On success `ctx.state.apiKey` holds the key's public info and
 * the response carries the key's RateLimit headers; otherwise the response is JSON
 * `{ "detail": ..., "code": ... }` with the status and headers core chose (`WWW-Authenticate` on
 * 401, `Retry-After` on 429), and `next()` is not called.
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
	const { optional, skip, authenticatePreflight, verify } = resolveOptions(keyward, options)
	return async function apiKeyAuthMiddleware(ctx, next) {
		const req = ctx.req
		if (!authenticatePreflight && isPreflight(req)) return next()
		if (skip !== undefined && (await skip(ctx))) return next()
		const urlBefore = req.url ?? ''
		// The client address honours the framework's trust-proxy setting; it is read only when needed.
		const result = await keyward.verify(
			req,
			keyward.limitsFailures && ctx.ip !== undefined ? { ...verify, client: ctx.ip } : verify,
		)
		hideCredentialCopies(keyward, ctx, urlBefore)
		if (result.ok) {
			ctx.state.apiKey = result.key
			ctx.set(result.headers)
			return next()
		}
		if (optional && result.code === 'missing') {
			rememberMissing(req, result)
			return next()
		}
		reject(ctx, result)
	}
}
