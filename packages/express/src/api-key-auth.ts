import type { KeyInfo, Keyward } from '@keyward/core'
import {
	createAuthenticator,
	createScopeGuard,
	type FrameworkBinding,
	hideCredentials,
	type MiddlewareOptions,
	refusalBody,
	type SessionBinding,
	setHeaders,
} from '@keyward/core/adapter'
import type { Request, RequestHandler, Response } from 'express'

declare global {
	namespace Express {
		interface Request {
			/** Public info of the verified key, set by {@link apiKeyAuth}; `undefined` when not authenticated. */
			apiKey?: KeyInfo | undefined
		}
	}
}

type Skip = (req: Request, res: Response) => boolean | Promise<boolean>

/**
 * Options of {@link apiKeyAuth}: `scopes`, `hideCredentials` and `cost` of core's `verify`, plus
 * `optional`, `skip(req, res)`, `preflight` and `session` (the cookie of `sessionLogin`).
 */
export interface ApiKeyAuthOptions extends MiddlewareOptions<Skip> {}

/** What sessions need of Express: the origin and URL as the client sent them, and a response. */
export const expressSessions: SessionBinding<Request> = {
	request: (req) => req,
	client: (req) => req.ip,
	// `req.protocol` honours `app.set('trust proxy', ...)`.
	origin: (req) => `${req.protocol}://${req.get('host') ?? ''}`,
	location: (req) => req.originalUrl,
	body: (req) => req.body,
	respond(req, answer) {
		const res = req.res as Response
		res.status(answer.status).set(answer.headers)
		for (const cookie of answer.cookies) res.append('Set-Cookie', cookie)
		if (answer.body === undefined) res.end()
		else res.json(answer.body)
	},
}

/** Express as core sees it: Express 5 keeps `res` on `req`, and derives `req.query` from `req.url`. */
const express: FrameworkBinding<Request, Skip> = {
	name: 'apiKeyAuth',
	request: (req) => req,
	// Honours `app.set('trust proxy', ...)`.
	client: (req) => req.ip,
	skip: (skip, req) => skip(req, req.res as Response),
	hide: hideCredentials,
	accept(req, result) {
		req.apiKey = result.key
		// Straight to Node's response: Express's `res.set` only adds Content-Type handling.
		if (req.res !== undefined) setHeaders(req.res, result.headers)
	},
	key: (req) => req.apiKey,
	refuse(req, refusal) {
		;(req.res as Response).status(refusal.status).set(refusal.headers).json(refusalBody(refusal))
	},
	session: expressSessions,
}

/**
 * Authenticate requests with keyward. On success `req.apiKey` holds the key's public info and the
 * response carries the key's RateLimit headers; otherwise the request is answered with JSON
 * `{ "detail": ..., "code": ... }` and the status and headers core chose (`WWW-Authenticate` on 401,
 * `Retry-After` on 429), and `next()` is not called. A key in the query is removed from `req.url`,
 * `req.originalUrl` and `req.query` before anything else sees the request.
 *
 * With `session`, a request without a key may authenticate with the session cookie of
 * {@link sessionLogin} instead: same `req.apiKey`, scopes, quota and refusals as its key. A
 * cookie-authenticated change (not GET, HEAD, OPTIONS) must come from a page of this origin, and a
 * `POST` must be JSON or carry the `csrfHeader` (else `403 cross_origin`).
 *
 * Options are validated at once: an unknown or invalid option throws `KeywardError('invalid_option')`.
 * @param keyward - the verifier from `createKeyward()`
 * @param options - see {@link ApiKeyAuthOptions}
 * @example
 * const keyward = createKeyward({ store })
 * app.use('/api', apiKeyAuth(keyward, { scopes: ['read:*'] }))
 * app.get('/api/me', (req, res) => res.json({ owner: req.apiKey?.owner }))
 * app.use('/app', apiKeyAuth(keyward, { session: { cookie: 'kw_session', fromQuery: true } }))
 */
export function apiKeyAuth(keyward: Keyward, options: Readonly<ApiKeyAuthOptions> = {}): RequestHandler {
	const authenticate = createAuthenticator(keyward, options, express)
	return function apiKeyAuthMiddleware(req, _res, next) {
		const go = authenticate(req)
		// A cached key is decided at once: `next()` without waiting for a promise.
		if (go === true) next()
		else if (go !== false) return go.then((ok) => (ok ? next() : undefined))
	}
}

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
	const guard = createScopeGuard(scopes, express)
	return function requireScopesMiddleware(req, _res, next) {
		if (guard(req)) next()
	}
}
