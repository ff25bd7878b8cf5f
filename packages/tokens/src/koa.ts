import type { KeyInfo } from '@keyward/core'
import { hideCredentialsInKoa } from '@keyward/core/adapter'
import type { Middleware, ParameterizedContext } from 'koa'
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

declare module 'koa' {
	interface DefaultState {
		/** Public info of the verified key, set by `apiKeyAuth` or, from a token's claims, by {@link tokenAuth}. */
		apiKey?: KeyInfo | undefined
		/** Claims of the verified token, set by {@link tokenAuth}. */
		token?: TokenClaims | undefined
	}
}

export type { TokenAuthOptions } from './token-auth.js'
export type { JwksHandlerOptions, TokenHandlerOptions, TokenResponseBody } from './token-endpoint.js'

/** Set status, headers and JSON body; never `ctx.throw`, whose handler renders text. */
function send(ctx: ParameterizedContext, answer: EndpointResponse): void {
	ctx.status = answer.status
	ctx.set(answer.headers)
	ctx.body = answer.body
}

/**
 * Verify `Authorization: Bearer <token>` offline, set `ctx.state.token` (the claims) and
 * `ctx.state.apiKey` (a core `KeyInfo` built from them, so `requireScopes` from `@keyward/koa` works
 * after it), or answer with JSON `{ "detail", "code" }` and `WWW-Authenticate: Bearer ...`.
 * @param verifier - a verifier from `createTokenVerifier()`, or the options to create one
 * @param options - see {@link TokenAuthOptions}
 * @example
 * app.use(tokenAuth({ issuer: 'https://edge.internal', audience: 'reports', jwks: new URL(jwksUrl) }))
 * router.get('/reports', requireScopes('reports:read'), handler)
 */
export function tokenAuth(
	verifier: TokenVerifier | Readonly<TokenVerifierOptions>,
	options: Readonly<TokenAuthOptions> = {},
): Middleware {
	const resolved = resolveTokenAuth(verifier, options)
	const check = { scopes: resolved.scopes }
	return async function tokenAuthMiddleware(ctx, next) {
		const result = await resolved.verifier.verifyRequest(ctx.req, check)
		if (result.ok) {
			ctx.state.apiKey = result.key
			ctx.state.token = result.claims
			return next()
		}
		if (resolved.optional && result.code === 'missing') return next()
		send(ctx, {
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
 * @example router.post('/token', tokenHandler(issuer))
 */
export function tokenHandler(issuer: TokenIssuer, options: Readonly<TokenHandlerOptions> = {}): Middleware {
	const resolved = checkTokenHandlerOptions(issuer, options)
	return async function tokenHandlerMiddleware(ctx) {
		const parsed: unknown = (ctx.request as { body?: unknown }).body
		const answer = await answerTokenRequest(issuer, ctx.req, parsed, resolved)
		hideCredentialsInKoa(ctx, answer.hide)
		send(ctx, answer)
	}
}

/**
 * `GET /.well-known/jwks.json`: the issuer's published public keys (signing, next and retiring).
 * @example router.get('/.well-known/jwks.json', jwksHandler(issuer))
 */
export function jwksHandler(issuer: TokenIssuer, options: Readonly<JwksHandlerOptions> = {}): Middleware {
	const maxAgeSec = checkJwksHandlerOptions(issuer, options)
	return function jwksHandlerMiddleware(ctx) {
		send(ctx, answerJwksRequest(issuer, maxAgeSec))
	}
}
