import { isPreflight, type KeyInfo, type Keyward } from '@keyward/core'
import type { RequestHandler } from 'express'
import { hideCredentialCopies } from './hide.js'
import { type ApiKeyAuthOptions, resolveOptions } from './options.js'
import { reject, rememberMissing } from './respond.js'

declare global {
	namespace Express {
		interface Request {
			/** Public info of the verified key, set by {@link apiKeyAuth}; `undefined` when not authenticated. */
			apiKey?: KeyInfo | undefined
		}
	}
}

/**
 * Authenticate requests with keyward. On success `req.apiKey` holds the key's public info and the
 * response carries the key's RateLimit headers; otherwise the request is answered with JSON
 * `{ "detail": ..., "code": ... }` and the status and headers core chose (`WWW-Authenticate` on 401,
 * `Retry-After` on 429), and `next()` is not called.
 *
 * Options are validated at once: an unknown or invalid option throws `KeywardError('invalid_option')`.
 * @param keyward - the verifier from `createKeyward()`
 * @param options - see {@link ApiKeyAuthOptions}
 * @example
 * const keyward = createKeyward({ store })
 * app.use('/api', apiKeyAuth(keyward, { scopes: ['read:*'] }))
 * app.get('/api/me', (req, res) => res.json({ owner: req.apiKey?.owner }))
 */
export function apiKeyAuth(keyward: Keyward, options: Readonly<ApiKeyAuthOptions> = {}): RequestHandler {
	const { optional, skip, authenticatePreflight, verify } = resolveOptions(keyward, options)
	return async function apiKeyAuthMiddleware(req, res, next) {
		if (!authenticatePreflight && isPreflight(req)) return next()
		if (skip !== undefined && (await skip(req, res))) return next()
		const urlBefore = req.url
		// The client address honours the framework's trust-proxy setting; it is read only when needed.
		const result = await keyward.verify(
			req,
			keyward.limitsFailures && req.ip !== undefined ? { ...verify, client: req.ip } : verify,
		)
		hideCredentialCopies(keyward, req, urlBefore)
		if (result.ok) {
			req.apiKey = result.key
			res.set(result.headers)
			return next()
		}
		if (optional && result.code === 'missing') {
			rememberMissing(req, result)
			return next()
		}
		reject(res, result)
	}
}
