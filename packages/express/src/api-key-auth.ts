import type { KeyInfo, Keyward } from '@keyward/core'
import {
	hideCredentials,
	isPreflight,
	type MiddlewareOptions,
	passMissing,
	resolveMiddlewareOptions,
} from '@keyward/core/adapter'
import type { Request, RequestHandler, Response } from 'express'
import { reject } from './respond.js'

declare global {
	namespace Express {
		interface Request {
			/** Public info of the verified key, set by {@link apiKeyAuth}; `undefined` when not authenticated. */
			apiKey?: KeyInfo | undefined
		}
	}
}

/**
 * Options of {@link apiKeyAuth}: `scopes`, `hideCredentials` and `cost` of core's `verify`, plus
 * `optional`, `skip(req, res)` and `preflight`.
 */
export interface ApiKeyAuthOptions
	extends MiddlewareOptions<(req: Request, res: Response) => boolean | Promise<boolean>> {}

/**
 * Authenticate requests with keyward. On success `req.apiKey` holds the key's public info and the
 * response carries the key's RateLimit headers; otherwise the request is answered with JSON
 * `{ "detail": ..., "code": ... }` and the status and headers core chose (`WWW-Authenticate` on 401,
 * `Retry-After` on 429), and `next()` is not called. A key in the query is removed from `req.url`,
 * `req.originalUrl` and `req.query` before anything else sees the request.
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
	const { optional, skip, authenticatePreflight, verify } = resolveMiddlewareOptions(keyward, options, {
		name: 'apiKeyAuth',
		// Honours `app.set('trust proxy', ...)`; read only when a failure limit is configured.
		client: (req) => (req as Request).ip,
	})
	return async function apiKeyAuthMiddleware(req, res, next) {
		if (!authenticatePreflight && isPreflight(req)) return next()
		if (skip !== undefined && (await skip(req, res))) return next()
		const result = await keyward.verify(req, verify)
		hideCredentials(req, result.hide)
		if (result.ok) {
			req.apiKey = result.key
			res.set(result.headers)
			return next()
		}
		if (optional && result.code === 'missing') {
			passMissing(req, result)
			return next()
		}
		reject(res, result)
	}
}
