import { resolveScopes, scopeRefusal } from '@keyward/core/adapter'
import type { RequestHandler } from 'express'
import { reject } from './respond.js'

/**
 * Require every one of `scopes` on the key that {@link apiKeyAuth} verified earlier in the chain:
 * 401 `missing` when the request has no `req.apiKey`, 403 `insufficient_scope` when a scope is not
 * granted (`read:*` grants `read:users`, `*` grants everything). Without arguments it only requires
 * an authenticated request, which is useful after `apiKeyAuth(keyward, { optional: true })`.
 *
 * Scopes are validated at once and throw `KeywardError('invalid_option')` when malformed.
 * @example
 * app.delete('/users/:id', requireScopes('users:write'), deleteUser)
 */
export function requireScopes(...scopes: string[]): RequestHandler {
	const required = resolveScopes(scopes, 'requireScopes arguments')
	return function requireScopesMiddleware(req, res, next) {
		const refusal = scopeRefusal(req, req.apiKey, required)
		if (refusal !== undefined) return reject(res, refusal)
		next()
	}
}
