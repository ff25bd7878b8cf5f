import { type KeyInfo, type Keyward, KeywardError } from '@keyward/core'
import { withHeaders } from './responses.js'
import { type RequestVerifierOptions, verifierNamed } from './verify-request.js'

/**
 * A route handler behind {@link withApiKey}: Next.js's `(request, context)`, plus the verified
 * key (`undefined` only where `optional`, `skip` or a preflight let a request through).
 */
export type ApiKeyRouteHandler<C> = (
	request: Request,
	context: C,
	apiKey: KeyInfo | undefined,
) => Response | Promise<Response>

/**
 * Protect a Next.js route handler (or any `(request, context) => Response` handler): the wrapped
 * handler runs only for a verified request, with the request without its key (see
 * `createRequestVerifier`) and the key's public info as third argument; a refusal is answered
 * as JSON with its status and headers, and the key's RateLimit headers are added to the
 * handler's response. Options are validated when the route module loads.
 * @param handler - the route handler to protect
 * @param keyward - the verifier from `createKeyward()`
 * @param options - those of `createRequestVerifier`
 * @example
 * // app/api/reports/route.ts
 * export const GET = withApiKey(async (request, context, apiKey) => Response.json({ owner: apiKey?.owner }), keyward, {
 *   scopes: ['reports:read'],
 * })
 */
export function withApiKey<C = unknown>(
	handler: ApiKeyRouteHandler<C>,
	keyward: Keyward,
	options: Readonly<RequestVerifierOptions> = {},
): (request: Request, context: C) => Promise<Response> {
	if (typeof handler !== 'function') {
		throw new KeywardError('invalid_argument', 'withApiKey expects a route handler function')
	}
	const verify = verifierNamed('withApiKey', keyward, options)
	return async function apiKeyRoute(request, context) {
		const result = await verify(request)
		if (!result.ok) return result.response
		return withHeaders(await handler(result.request, context, result.key), result.headers)
	}
}
