import type { KeyInfo } from '@keyward/core'
import { hideCredentials } from '@keyward/core/adapter'
import type { RequestHandler, Response } from 'express'
import type { TokenIssuer } from './issuer.js'
import { resolveTokenAuth, type TokenAuthOptions } from './token-auth.js'
import {
	answerJwksRequest,
	answerTokenRequest,
	checkJwksHandlerOptions,
	checkTokenHandlerOptions,
	type EndpointResponse,
	type JwksHandlerOptions,
	type TokenHandlerOptions,
} from './token-endpoint.js'
import type { TokenClaims } from './types.js'
import type { TokenVerifier, TokenVerifierOptions } from './verifier.js'

declare global {
	namespace Express {
		interface Request {
			/** Public info of the verified key, set by `apiKeyAuth` or, from a token's claims, by {@link tokenAuth}. */
			apiKey?: KeyInfo | undefined
			/** Claims of the verified token, set by {@link tokenAuth}. */
			token?: TokenClaims | undefined
		}
	}
}

export type { TokenAuthOptions } from './token-auth.js'
export type { JwksHandlerOptions, TokenHandlerOptions, TokenResponseBody } from './token-endpoint.js'

function send(res: Response, answer: EndpointResponse): void {
	res.status(answer.status).set(answer.headers).json(answer.body)
}

/**
 * Verify `Authorization: Bearer <token>` offline, set `req.token` (the claims) and `req.apiKey` (a
 * core `KeyInfo` built from them, so `requireScopes` from `@keyward/express` works after it), or
 * answer with JSON `{ "detail", "code" }` and `WWW-Authenticate: Bearer ...`.
 * @param verifier - a verifier from `createTokenVerifier()`, or the options to create one
 * @param options - see {@link TokenAuthOptions}
 * @example
 * app.use(tokenAuth({ issuer: 'https://edge.internal', audience: 'reports', jwks: new URL(jwksUrl) }))
 * app.get('/reports', requireScopes('reports:read'), handler)
 */
export function tokenAuth(
	verifier: TokenVerifier | Readonly<TokenVerifierOptions>,
	options: Readonly<TokenAuthOptions> = {},
): RequestHandler {
	const resolved = resolveTokenAuth(verifier, options)
	const check = { scopes: resolved.scopes }
	return async function tokenAuthMiddleware(req, res, next) {
		const result = await resolved.verifier.verifyRequest(req, check)
		if (result.ok) {
			req.apiKey = result.key
			req.token = result.claims
			return next()
		}
		if (resolved.optional && result.code === 'missing') return next()
		send(res, {
			status: result.status,
			headers: result.headers,
			body: { detail: result.detail, code: result.code },
		})
	}
}

/**
 * `POST /token`: trade the request's API key (read like `apiKeyAuth` reads it) for a token. The body
 * may narrow the scopes: JSON `{"scope": "a b"}` or `{"scopes": ["a"]}`, or a form `scope=a+b`; a
 * body parser is optional. Answers `{ access_token, token_type, expires_in, scope }`, or exactly what
 * `apiKeyAuth` would answer for a failing key. Each token counts against the key's monthly quota.
 * @example app.post('/token', tokenHandler(issuer))
 */
export function tokenHandler(
	issuer: TokenIssuer,
	options: Readonly<TokenHandlerOptions> = {},
): RequestHandler {
	const resolved = checkTokenHandlerOptions(issuer, options)
	return async function tokenHandlerMiddleware(req, res) {
		const answer = await answerTokenRequest(issuer, req, req.body, resolved)
		hideCredentials(req, answer.hide)
		send(res, answer)
	}
}

/**
 * `GET /.well-known/jwks.json`: the issuer's published public keys (signing, next and retiring).
 * @example app.get('/.well-known/jwks.json', jwksHandler(issuer))
 */
export function jwksHandler(issuer: TokenIssuer, options: Readonly<JwksHandlerOptions> = {}): RequestHandler {
	const maxAgeSec = checkJwksHandlerOptions(issuer, options)
	return function jwksHandlerMiddleware(_req, res) {
		send(res, answerJwksRequest(issuer, maxAgeSec))
	}
}
