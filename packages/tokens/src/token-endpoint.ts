import type { IncomingMessage } from 'node:http'
import type { CredentialHiding } from '@keyward/core/adapter'
import type { TokenIssuer } from './issuer.js'
import { checkInteger, checkOptionNames, fail } from './options.js'
import { invalidRequest } from './rejections.js'
import { readTokenRequest } from './request-body.js'

/** A framework-neutral response: the Express and Koa handlers only copy it out. */
export interface EndpointResponse {
	/** HTTP status. */
	status: number
	/** Headers to set. */
	headers: Readonly<Record<string, string>>
	/** JSON body. */
	body: unknown
	/** What to hide from the request (a key in the query), for the framework's copies of it. */
	hide?: CredentialHiding | undefined
}

/** Body of a successful `POST /token`, shaped like an OAuth 2.0 token response (RFC 6749 §5.1). */
export interface TokenResponseBody {
	/** The signed token. */
	access_token: string
	/** How to send it: `Authorization: Bearer <access_token>`. */
	token_type: 'Bearer'
	/** Seconds until the token expires. */
	expires_in: number
	/** Granted scopes, space-delimited. */
	scope: string
}

/** Options of the token endpoint handlers. */
export interface TokenHandlerOptions {
	/** A shorter token lifetime for this endpoint than the issuer's `ttlMs`. @defaultValue the issuer's `ttlMs` */
	ttlMs?: number | undefined
}

/** Options of the JWKS handlers. */
export interface JwksHandlerOptions {
	/** `Cache-Control: max-age` of the key set, in seconds; keep it well under the lead time of `next` keys. @defaultValue 60 */
	maxAgeSec?: number | undefined
}

/**
 * Answer a token request: authenticate the API key exactly as the adapters do, then mint. A bad body
 * is reported as `400 invalid_request` only once the key is known to be good, and is not counted
 * against the key's quota.
 */
export async function answerTokenRequest(
	issuer: TokenIssuer,
	req: IncomingMessage,
	parsedBody: unknown,
	options: Readonly<TokenHandlerOptions>,
): Promise<EndpointResponse> {
	const request = await readTokenRequest(req, parsedBody)
	let result: Awaited<ReturnType<TokenIssuer['mint']>>
	if ('bad' in request) {
		const auth = await issuer.keyward.verify(req, { cost: 0 })
		result = auth.ok ? { ...invalidRequest('Invalid token request'), hide: auth.hide } : auth
	} else {
		result = await issuer.mint(req, { scopes: request.scopes, ttlMs: options.ttlMs })
	}
	if (!result.ok) {
		// The rest of a too-large body was never read: the connection cannot carry another request.
		const close = 'bad' in request && request.tooLarge ? { Connection: 'close' } : {}
		return {
			status: result.status,
			headers: { ...result.headers, ...close },
			body: { detail: result.detail, code: result.code },
			hide: result.hide,
		}
	}
	const body: TokenResponseBody = {
		access_token: result.token,
		token_type: 'Bearer',
		expires_in: result.claims.exp - result.claims.iat,
		scope: result.claims.scope,
	}
	return { status: 200, headers: { ...result.headers, 'Cache-Control': 'no-store' }, body, hide: result.hide }
}

/** Answer a JWKS request with the issuer's published public keys. */
export function answerJwksRequest(issuer: TokenIssuer, maxAgeSec: number): EndpointResponse {
	return { status: 200, headers: { 'Cache-Control': `public, max-age=${maxAgeSec}` }, body: issuer.jwks() }
}

/** Validate token handler options once, when the handler is created. */
export function checkTokenHandlerOptions(
	issuer: TokenIssuer,
	options: Readonly<TokenHandlerOptions>,
): Readonly<TokenHandlerOptions> {
	checkOptionNames(options, ['ttlMs'], 'tokenHandler options')
	if (typeof issuer?.mint !== 'function') fail('tokenHandler expects an issuer from createTokenIssuer()')
	return { ttlMs: checkInteger(options.ttlMs, 'ttlMs', issuer.ttlMs, 1000, issuer.ttlMs) }
}

/** Validate JWKS handler options once; resolves to `maxAgeSec`. */
export function checkJwksHandlerOptions(issuer: TokenIssuer, options: Readonly<JwksHandlerOptions>): number {
	checkOptionNames(options, ['maxAgeSec'], 'jwksHandler options')
	if (typeof issuer?.jwks !== 'function') fail('jwksHandler expects an issuer from createTokenIssuer()')
	return checkInteger(options.maxAgeSec, 'maxAgeSec', 60, 0, 86_400)
}
