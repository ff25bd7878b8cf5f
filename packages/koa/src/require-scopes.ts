import { resolveScopes, scopeRefusal } from '@keyward/core/adapter'
import type { Middleware } from 'koa'
import { reject } from './respond.js'

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
	const required = resolveScopes(scopes, 'requireScopes arguments')
	return async function requireScopesMiddleware(ctx, next) {
		const refusal = scopeRefusal(ctx.req, ctx.state.apiKey, required)
		if (refusal !== undefined) return reject(ctx, refusal)
		await next()
	}
}
