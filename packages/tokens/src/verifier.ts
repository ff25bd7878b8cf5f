import { checkScopes, type RequestLike } from '@keyward/core'
import {
	createLocalJWKSet,
	createRemoteJWKSet,
	customFetch,
	errors,
	type JSONWebKeySet,
	type JWTVerifyGetKey,
	jwtVerify,
} from 'jose'
import { extractBearer, MAX_TOKEN_LENGTH } from './bearer.js'
import { asTokenClaims, keyInfoFromClaims } from './claims.js'
import { createBoundedJwksFetch } from './jwks-fetch.js'
import { checkAudience, checkInteger, checkNow, checkOptionNames, checkText, fail } from './options.js'
import { createTokenRejecter } from './rejections.js'
import type { SigningAlgorithm, TokenVerifyResult } from './types.js'

/** Where a verifier finds public keys: a JWKS URL, a JWKS object, or something with a live `jwks()` (a `TokenIssuer`). */
export type JwksSource = URL | string | JSONWebKeySet | { jwks(): JSONWebKeySet }

/** Options of {@link createTokenVerifier}. Invalid options throw `KeywardError('invalid_option')`. */
export interface TokenVerifierOptions {
	/** Accepted `iss` value(s), compared exactly. */
	issuer: string | readonly string[]
	/** This service's audience: the token's `aud` must contain one of these. */
	audience: string | readonly string[]
	/**
	 * Public keys: a JWKS URL (`http:` or `https:`; fetched on first use, cached, refetched when a
	 * token names an unknown `kid`), a JWKS object, or an object with a `jwks()` method, such as the
	 * `TokenIssuer` itself when issuer and verifier share a process.
	 */
	jwks: JwksSource
	/** Accepted `alg` values; anything else (`none`, `HS256`, ...) is refused before any key is used. @defaultValue ['EdDSA', 'ES256'] */
	algorithms?: readonly SigningAlgorithm[] | undefined
	/** Allowed clock difference with the issuer for `exp` and `nbf`, in seconds. @defaultValue 5 */
	clockToleranceSec?: number | undefined
	/** Realm in `WWW-Authenticate: Bearer realm="..."`. @defaultValue 'api' */
	realm?: string | undefined
	/** Remote JWKS: least time between two fetches caused by unknown `kid`s. @defaultValue 30_000 */
	jwksCooldownMs?: number | undefined
	/** Remote JWKS: refetch keys older than this. @defaultValue 600_000 */
	jwksCacheMaxAgeMs?: number | undefined
	/** Remote JWKS: a slower fetch fails, and so does the request (503). @defaultValue 5000 */
	jwksTimeoutMs?: number | undefined
	/**
	 * Remote JWKS: largest key set document read, in bytes. A larger one (by its Content-Length or
	 * as it streams in) is cut off and fails the request like an unreachable key set (503), so a
	 * broken or hostile key server cannot make the verifier buffer without end. From 1 to 16 MiB.
	 * @defaultValue 262_144 (256 KiB)
	 */
	jwksMaxBytes?: number | undefined
	/** Clock in epoch milliseconds, for tests. @defaultValue Date.now */
	now?: (() => number) | undefined
}

/** Per-call options of {@link TokenVerifier.verify}. */
export interface TokenCheckOptions {
	/** Every one of these scopes is required. @defaultValue [] */
	scopes?: readonly string[] | undefined
}

/** Verifies tokens offline. Create one with {@link createTokenVerifier}. */
export interface TokenVerifier {
	/** Verify a token (the bare JWT). Never throws for token input. */
	verify(token: string, options?: Readonly<TokenCheckOptions>): Promise<TokenVerifyResult>
	/** Read `Authorization: Bearer <token>` from a request, then {@link TokenVerifier.verify}. */
	verifyRequest(req: RequestLike, options?: Readonly<TokenCheckOptions>): Promise<TokenVerifyResult>
}

const KNOWN = [
	'issuer',
	'audience',
	'jwks',
	'algorithms',
	'clockToleranceSec',
	'realm',
	'jwksCooldownMs',
	'jwksCacheMaxAgeMs',
	'jwksTimeoutMs',
	'jwksMaxBytes',
	'now',
]
const ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256']
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

/** The key set could not be read (network, timeout, bad document): fail closed with 503, never 401. */
class JwksUnavailable extends Error {
	override readonly name = 'JwksUnavailable'
}

function isKeyMismatch(error: unknown): boolean {
	return error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys
}

function checkAlgorithms(value: unknown): SigningAlgorithm[] {
	if (value === undefined) return [...ALGORITHMS]
	if (
		!Array.isArray(value) ||
		value.length === 0 ||
		!value.every((alg) => ALGORITHMS.includes(alg as SigningAlgorithm))
	) {
		fail('algorithms must be a non-empty list of "EdDSA" and "ES256"')
	}
	return [...new Set(value as SigningAlgorithm[])]
}

function isJwksUrl(value: unknown): value is URL | string {
	return value instanceof URL || typeof value === 'string'
}

function keyResolver(source: unknown, options: Readonly<TokenVerifierOptions>): JWTVerifyGetKey {
	if (isJwksUrl(source)) {
		let url: URL
		try {
			url = new URL(source)
		} catch {
			fail('jwks must be a valid URL, a JWKS object or an object with a jwks() method')
		}
		if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('jwks URL must use http: or https:')
		const remote = createRemoteJWKSet(url, {
			cooldownDuration: checkInteger(options.jwksCooldownMs, 'jwksCooldownMs', 30_000, 0, 86_400_000),
			cacheMaxAge: checkInteger(options.jwksCacheMaxAgeMs, 'jwksCacheMaxAgeMs', 600_000, 0, 86_400_000),
			timeoutDuration: checkInteger(options.jwksTimeoutMs, 'jwksTimeoutMs', 5000, 1, 600_000),
			[customFetch]: createBoundedJwksFetch(
				checkInteger(options.jwksMaxBytes, 'jwksMaxBytes', 262_144, 1, 16_777_216),
			),
		})
		return async function remoteKey(header, token) {
			try {
				return await remote(header, token)
			} catch (error) {
				if (isKeyMismatch(error)) throw error
				throw new JwksUnavailable('JWKS unavailable', { cause: error })
			}
		}
	}
	if (
		typeof source === 'object' &&
		source !== null &&
		typeof (source as { jwks?: unknown }).jwks === 'function'
	) {
		// A live key set (an issuer in the same process): rebuild only when it hands out a new object.
		const live = source as { jwks(): JSONWebKeySet }
		let seen: JSONWebKeySet | undefined
		let local: ReturnType<typeof createLocalJWKSet> | undefined
		return async function liveKey(header, token) {
			const current = live.jwks()
			if (current !== seen || local === undefined) {
				local = createLocalJWKSet(current)
				seen = current
			}
			return local(header, token)
		}
	}
	if (typeof source === 'object' && source !== null && Array.isArray((source as JSONWebKeySet).keys)) {
		try {
			return createLocalJWKSet(source as JSONWebKeySet)
		} catch {
			fail('jwks is not a valid JSON Web Key Set')
		}
	}
	return fail('jwks must be a URL, a JWKS object or an object with a jwks() method')
}

/**
 * Create a token verifier: signature against the issuer's public keys, `alg` allow-list, `typ:
 * at+jwt`, `iss`, `aud`, `exp` and `nbf` (with a small clock tolerance), claim shape and scopes.
 * No key store is involved.
 * @example
 * const verifier = createTokenVerifier({
 *   issuer: 'https://edge.internal',
 *   audience: 'reports-service',
 *   jwks: new URL('https://edge.internal/.well-known/jwks.json'),
 * })
 * const result = await verifier.verifyRequest(req, { scopes: ['reports:read'] })
 */
export function createTokenVerifier(options: Readonly<TokenVerifierOptions>): TokenVerifier {
	checkOptionNames(options, KNOWN, 'createTokenVerifier options')
	const issuer = checkAudience(options.issuer, 'issuer')
	const audience = checkAudience(options.audience, 'audience')
	const algorithms = checkAlgorithms(options.algorithms)
	const tolerance = options.clockToleranceSec ?? 5
	if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0 || tolerance > 300) {
		fail('clockToleranceSec must be a number of seconds from 0 to 300')
	}
	const reject = createTokenRejecter(options.realm === undefined ? 'api' : checkText(options.realm, 'realm'))
	const now = checkNow(options.now)
	const getKey = keyResolver(options.jwks, options)
	const issuers = typeof issuer === 'string' ? issuer : [...issuer]
	const audiences = typeof audience === 'string' ? audience : [...audience]

	async function verify(
		token: string,
		checkOptions: Readonly<TokenCheckOptions> = {},
	): Promise<TokenVerifyResult> {
		checkOptionNames(checkOptions, ['scopes'], 'verify options')
		const required = checkOptions.scopes ?? []
		if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
			return reject('invalid_token')
		}
		let payload: Awaited<ReturnType<typeof jwtVerify>>['payload']
		try {
			;({ payload } = await jwtVerify(token, getKey, {
				algorithms,
				issuer: issuers,
				audience: audiences,
				typ: 'at+jwt',
				clockTolerance: tolerance,
				currentDate: new Date(now()),
				// Every claim RFC 9068 requires; iss and aud are compared above.
				requiredClaims: ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'],
			}))
		} catch (error) {
			if (error instanceof JwksUnavailable) return reject('unavailable')
			if (error instanceof errors.JWTExpired) return reject('expired')
			if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf') {
				return reject('invalid_token', 'Token is not yet valid')
			}
			return reject('invalid_token')
		}
		const claims = asTokenClaims(payload)
		if (claims === null) return reject('invalid_token')
		const key = keyInfoFromClaims(claims)
		if (required.length > 0 && !checkScopes(key, required).ok) {
			return reject('insufficient_scope', undefined, required.join(' '))
		}
		return { ok: true, key, claims, headers: {} }
	}

	return {
		verify,
		async verifyRequest(req, checkOptions) {
			const found = extractBearer(req)
			if (found.kind === 'none') return reject('missing')
			if (found.kind === 'invalid') return reject('invalid_token')
			return verify(found.token, checkOptions)
		},
	}
}
