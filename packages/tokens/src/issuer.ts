import { randomUUID } from 'node:crypto'
import {
	checkScopes,
	type KeyInfo,
	type Keyward,
	KeywardError,
	type RequestLike,
	type VerifyResult,
} from '@keyward/core'
import { type JSONWebKeySet, SignJWT } from 'jose'
import { checkRequestedScopes } from './claims.js'
import { createKeyRing, type RetireOptions, type RotateOptions, type SigningKeyStatus } from './key-ring.js'
import { checkAudience, checkInteger, checkNow, checkOptionNames, checkText, fail } from './options.js'
import { invalidRequest, keyFailure } from './rejections.js'
import type { SigningKey } from './signing-key.js'
import type { MintResult, MintSuccess, TokenClaims } from './types.js'

/** Options of {@link createTokenIssuer}. Invalid options throw `KeywardError('invalid_option')`. */
export interface TokenIssuerOptions {
	/** Verifies the API keys tokens are minted from (and counts their quota). */
	keyward: Keyward
	/** `iss` of every token, e.g. the edge service's URL; verifiers compare it exactly. */
	issuer: string
	/** `aud` of every token: the internal service(s) that accept it. */
	audience: string | readonly string[]
	/** Token lifetime; a token never outlives its API key. @defaultValue 300_000 (5 minutes) */
	ttlMs?: number | undefined
	/**
	 * Signing keys: `keys[0]` signs, the others are published as `next` keys for {@link TokenIssuer.rotate}.
	 * Kids must be unique.
	 */
	keys: readonly SigningKey[]
	/**
	 * How long a retired key stays published after its last token expired, to cover verifiers'
	 * clock tolerance. @defaultValue 60_000
	 */
	retireGraceMs?: number | undefined
	/**
	 * Realm of the `Apikey` challenge when minting from a `KeyInfo` fails; match the keyward's `realm`.
	 * @defaultValue 'api'
	 */
	realm?: string | undefined
	/** Clock in epoch milliseconds, for tests. @defaultValue Date.now */
	now?: (() => number) | undefined
}

/** Per-call options of {@link TokenIssuer.mint}. */
export interface MintOptions {
	/**
	 * Scopes of the token. Each must be granted by the API key (`read:*` grants `read:users`), so a
	 * token is never wider than its key. @defaultValue all the key's scopes
	 */
	scopes?: readonly string[] | undefined
	/** A shorter lifetime than the issuer's `ttlMs`. @defaultValue the issuer's `ttlMs` */
	ttlMs?: number | undefined
}

/**
 * What a token is minted from: a request (its API key is extracted and verified, counting one
 * request against the key's quota), the key text (verified the same way), or the `KeyInfo` of a key
 * already verified for this request (e.g. `req.apiKey`; nothing more is counted).
 */
export type MintSource = RequestLike | string | KeyInfo

/** Mints tokens from API keys and publishes the keys that verify them. Create one with {@link createTokenIssuer}. */
export interface TokenIssuer {
	/** Verify the API key of `source` and mint a token for it. Never throws for request input. */
	mint(source: MintSource, options?: Readonly<MintOptions>): Promise<MintResult>
	/** The public keys verifiers need, as served at `/.well-known/jwks.json`. */
	jwks(): JSONWebKeySet
	/** Every published key with its state (`signing`, `next`, `retiring`). */
	keys(): SigningKeyStatus[]
	/** Publish a key that will sign after the next {@link TokenIssuer.rotate}. */
	publish(key: SigningKey): void
	/**
	 * Start signing with the oldest `next` key; the current key keeps being published until its last
	 * token has expired (`ttlMs + retireGraceMs`). Throws `invalid_argument` without a `next` key.
	 */
	rotate(options?: Readonly<RotateOptions>): void
	/** Stop publishing a `next` or `retiring` key once its tokens can no longer be valid. */
	retire(kid: string, options?: Readonly<RetireOptions>): void
	/** Withdraw a key from the JWKS at once (e.g. a leaked key); its tokens stop verifying. */
	remove(kid: string): void
	/** The `iss` of every token. */
	readonly issuer: string
	/** The `aud` of every token. */
	readonly audience: string | readonly string[]
	/** Longest token lifetime, in milliseconds. */
	readonly ttlMs: number
	/** The keyward passed in; the token endpoint authenticates with it. */
	readonly keyward: Keyward
}

const KNOWN = ['keyward', 'issuer', 'audience', 'ttlMs', 'keys', 'retireGraceMs', 'realm', 'now']
const DAY_MS = 86_400_000
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({})

function isKeyInfo(source: object): source is KeyInfo {
	const info = source as Partial<KeyInfo>
	return typeof info.id === 'string' && typeof info.owner === 'string' && Array.isArray(info.scopes)
}

/**
 * Create a token issuer: the edge service trades API keys for short-lived signed tokens
 * (RFC 9068 JWT access tokens: `typ: at+jwt`, `sub` = key owner, `client_id` = `key_id` = the API
 * key's id, `scope`), which internal services verify offline.
 * @example
 * const issuer = createTokenIssuer({
 *   keyward,
 *   issuer: 'https://edge.internal',
 *   audience: 'reports-service',
 *   keys: [await generateSigningKey(), await generateSigningKey()], // signing, next
 * })
 * const result = await issuer.mint(req, { scopes: ['reports:read'] })
 */
export function createTokenIssuer(options: Readonly<TokenIssuerOptions>): TokenIssuer {
	checkOptionNames(options, KNOWN, 'createTokenIssuer options')
	const { keyward } = options
	if (typeof keyward?.verify !== 'function' || typeof keyward.verifyKey !== 'function') {
		fail('keyward must be a keyward from createKeyward()')
	}
	const iss = checkText(options.issuer, 'issuer')
	const audience = checkAudience(options.audience, 'audience')
	const ttlMs = checkInteger(options.ttlMs, 'ttlMs', 300_000, 1000, DAY_MS)
	const retireGraceMs = checkInteger(options.retireGraceMs, 'retireGraceMs', 60_000, 0, DAY_MS)
	const realm = options.realm === undefined ? 'api' : checkText(options.realm, 'realm')
	const now = checkNow(options.now)
	const ring = createKeyRing(options.keys, now, () => ttlMs + retireGraceMs)

	async function authenticate(
		source: MintSource,
		scopes: readonly string[],
		cost: number,
	): Promise<VerifyResult> {
		if (typeof source === 'string') return keyward.verifyKey(source, { scopes, cost })
		if (typeof source !== 'object' || source === null) {
			throw new KeywardError('invalid_argument', 'mint() expects a request, a key or a KeyInfo')
		}
		if (!('headers' in source) && isKeyInfo(source)) {
			// Already verified by the caller; only what may have changed since is checked again.
			const nowMs = now()
			if (source.revokedAt !== null && source.revokedAt.getTime() <= nowMs) {
				return keyFailure('revoked', realm, source.id)
			}
			if (source.expiresAt !== null && source.expiresAt.getTime() <= nowMs) {
				return keyFailure('expired', realm, source.id)
			}
			// A key that inherits its scopes carries them only once verified: unverified, it has none.
			const key =
				source.scopes === 'inherit' ? { ...source, scopes: [] } : { ...source, scopes: source.scopes }
			const scoped = checkScopes(key, scopes)
			return scoped.ok ? { ok: true, key, headers: NO_HEADERS } : scoped
		}
		return keyward.verify(source as RequestLike, { scopes, cost })
	}

	async function mint(source: MintSource, mintOptions: Readonly<MintOptions> = {}): Promise<MintResult> {
		checkOptionNames(mintOptions, ['scopes', 'ttlMs'], 'mint options')
		const lifetimeMs = mintOptions.ttlMs ?? ttlMs
		if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs < 1000 || lifetimeMs > ttlMs) {
			throw new KeywardError('invalid_argument', `mint ttlMs must be an integer from 1000 to ${ttlMs}`)
		}
		const requested = mintOptions.scopes === undefined ? undefined : checkRequestedScopes(mintOptions.scopes)
		if (requested === null) {
			// Authenticate first (without counting it) so a bad key is reported as such, not as a bad request.
			const auth = await authenticate(source, [], 0)
			return auth.ok ? { ...invalidRequest('Invalid scope'), hide: auth.hide } : auth
		}
		// Core checks the requested scopes against the key before counting quota: never widened, never charged.
		const auth = await authenticate(source, requested ?? [], 1)
		if (!auth.ok) return auth
		const key = auth.key
		const scopes = requested ?? [...key.scopes]
		const iat = Math.floor(now() / 1000)
		let exp = iat + Math.floor(lifetimeMs / 1000)
		if (key.expiresAt !== null) exp = Math.min(exp, Math.floor(key.expiresAt.getTime() / 1000))
		if (exp <= iat) return { ...keyFailure('expired', realm, key.id), hide: auth.hide }
		const signer = ring.signer()
		const claims: TokenClaims = Object.freeze({
			iss,
			sub: key.owner,
			aud: audience,
			exp,
			iat,
			nbf: iat,
			jti: randomUUID(),
			client_id: key.id,
			key_id: key.id,
			scope: scopes.join(' '),
		})
		const token = await new SignJWT({
			client_id: claims.client_id,
			key_id: claims.key_id,
			scope: claims.scope,
		})
			.setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: 'at+jwt' })
			.setIssuer(iss)
			.setSubject(claims.sub)
			.setAudience(typeof audience === 'string' ? audience : [...audience])
			.setIssuedAt(iat)
			.setNotBefore(iat)
			.setExpirationTime(exp)
			.setJti(claims.jti)
			.sign(signer.privateKey)
		const minted: MintSuccess = {
			ok: true,
			token,
			claims,
			expiresAt: new Date(exp * 1000),
			key,
			headers: auth.headers,
		}
		if (auth.hide !== undefined) minted.hide = auth.hide
		return minted
	}

	return {
		mint,
		jwks: () => ring.jwks(),
		keys: () => ring.status(),
		publish: (key) => ring.publish(key),
		rotate: (rotateOptions) => ring.rotate(rotateOptions),
		retire: (kid, retireOptions) => ring.retire(kid, retireOptions),
		remove: (kid) => ring.remove(kid),
		issuer: iss,
		audience,
		ttlMs,
		keyward,
	}
}
