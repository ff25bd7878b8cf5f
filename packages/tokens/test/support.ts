import { createKeyward, type Keyward, MemoryStore } from '@keyward/core'
import { base64url, type JWTPayload, SignJWT } from 'jose'
import { createTokenIssuer, type TokenIssuer, type TokenIssuerOptions } from '../src/issuer.js'
import { generateSigningKey, type SigningKey } from '../src/signing-key.js'

export const ISSUER = 'https://edge.test'
export const AUDIENCE = 'reports-service'
/** 2026-11-10T12:00:00Z: mid-month, so quota periods never roll over during a test. */
export const START_MS = Date.UTC(2026, 10, 10, 12, 0, 0)

/** A clock tests move by hand; nothing here sleeps. */
export interface Clock {
	ms: number
	now: () => number
	advance(ms: number): void
}

export function createClock(start = START_MS): Clock {
	const clock: Clock = {
		ms: start,
		now: () => clock.ms,
		advance(ms) {
			clock.ms += ms
		},
	}
	return clock
}

export interface Fixture {
	clock: Clock
	keyward: Keyward
	issuer: TokenIssuer
	/** Signs now. */
	signing: SigningKey
	/** Published, signs after `rotate()`. */
	next: SigningKey
	/** Never published: an attacker's key. */
	foreign: SigningKey
	/** A key with scopes `reports:read` and `users:*`. */
	apiKey: string
}

export async function createFixture(overrides: Partial<TokenIssuerOptions> = {}): Promise<Fixture> {
	const clock = createClock()
	const keyward = createKeyward({ store: new MemoryStore(), now: clock.now })
	const signing = await generateSigningKey({ kid: 'k1' })
	const next = await generateSigningKey({ alg: 'ES256', kid: 'k2' })
	const foreign = await generateSigningKey({ kid: 'k1' })
	const issuer = createTokenIssuer({
		keyward,
		issuer: ISSUER,
		audience: AUDIENCE,
		keys: [signing, next],
		ttlMs: 300_000,
		now: clock.now,
		...overrides,
	})
	const { key } = await keyward.createKey({ owner: 'acme', scopes: ['reports:read', 'users:*'] })
	return { clock, keyward, issuer, signing, next, foreign, apiKey: key }
}

/** The claims the issuer would put in a token minted now, for forging variants of it. */
export function claimsAt(nowMs: number, overrides: Record<string, unknown> = {}): JWTPayload {
	const iat = Math.floor(nowMs / 1000)
	const claims: Record<string, unknown> = {
		iss: ISSUER,
		sub: 'acme',
		aud: AUDIENCE,
		iat,
		nbf: iat,
		exp: iat + 300,
		jti: 'test-jti',
		client_id: 'abcd1234',
		key_id: 'abcd1234',
		scope: 'reports:read',
		...overrides,
	}
	for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name]
	return claims
}

/** Sign arbitrary claims with any key, as an attacker or a misconfigured issuer could. */
export function forge(
	key: SigningKey,
	claims: JWTPayload,
	header: Record<string, unknown> = {},
): Promise<string> {
	return new SignJWT(claims)
		.setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })
		.sign(key.privateKey)
}

/** An unsecured JWT (`alg: none`): header and payload, empty signature. */
export function unsecured(claims: JWTPayload, kid: string): string {
	const part = (value: unknown) => base64url.encode(JSON.stringify(value))
	return `${part({ alg: 'none', typ: 'at+jwt', kid })}.${part(claims)}.`
}

/** HS256 with the public key's JWK as the HMAC secret: the classic algorithm-confusion attack. */
export function hmacWithPublicKey(key: SigningKey, claims: JWTPayload): Promise<string> {
	const secret = new TextEncoder().encode(JSON.stringify(key.publicJwk))
	return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' }).sign(secret)
}

/** Change one character in the middle of the signature. */
export function tamperSignature(token: string): string {
	const [header, payload, signature = ''] = token.split('.')
	const i = Math.floor(signature.length / 2)
	const swapped = signature[i] === 'A' ? 'B' : 'A'
	return `${header}.${payload}.${signature.slice(0, i)}${swapped}${signature.slice(i + 1)}`
}

/** Replace the payload (here: widen the scope) and keep the original signature. */
export function tamperPayload(token: string, claims: JWTPayload): string {
	const [header, , signature] = token.split('.')
	return `${header}.${base64url.encode(JSON.stringify(claims))}.${signature}`
}

/** One refusal `tokenAuth` must produce, framework-independent. */
export interface RejectionCase {
	name: string
	token: () => Promise<string | undefined>
	status: number
	code: string
	/** RFC 6750 `error` attribute expected in `WWW-Authenticate`, or `null` for none. */
	error: string | null
}

/**
 * The refusal matrix: every case against a route whose `tokenAuth` requires `reports:read`.
 * Tokens are built lazily from the current fixture, so the list can be made at collection time.
 */
export function rejectionCases(fixture: () => Fixture): RejectionCase[] {
	const now = () => fixture().clock.ms
	const key = (name: 'signing' | 'foreign') => fixture()[name]
	const good = async () => {
		const f = fixture()
		const minted = await f.issuer.mint(f.apiKey)
		if (!minted.ok) throw new Error('mint failed')
		return minted.token
	}
	return [
		{ name: 'no token', token: async () => undefined, status: 401, code: 'missing', error: null },
		{
			name: 'expired',
			token: () => forge(key('signing'), claimsAt(now() - 3_600_000)),
			status: 401,
			code: 'expired',
			error: 'invalid_token',
		},
		{
			name: 'not yet valid',
			token: () => forge(key('signing'), claimsAt(now() + 600_000)),
			status: 401,
			code: 'invalid_token',
			error: 'invalid_token',
		},
		{
			name: 'wrong issuer',
			token: () => forge(key('signing'), claimsAt(now(), { iss: 'https://evil.test' })),
			status: 401,
			code: 'invalid_token',
			error: 'invalid_token',
		},
		{
			name: 'wrong audience',
			token: () => forge(key('signing'), claimsAt(now(), { aud: 'billing-service' })),
			status: 401,
			code: 'invalid_token',
			error: 'invalid_token',
		},
		{
			name: 'tampered signature',
			token: async () => tamperSignature(await good()),
			status: 401,
			code: 'invalid_token',
			error: 'invalid_token',
		},
		{
			name: 'tampered payload',
			token: async () => tamperPayload(await good(), claimsAt(now(), { scope: '*' })),
			status: 401,
			code: 'invalid_token',
			error: 'invalid_token',
		},
		{
			name: 'alg none',
			token: async () => unsecured(claimsAt(now()), key('signing').kid),
			status: 401,
			code: 'invalid_token',
			error: 'invalid_token',
		},
		{
			name: 'HS256 with the public key as secret',
			token: () => hmacWithPublicKey(key('signing'), claimsAt(now())),
			status: 401,
			code: 'invalid_token',
			error: 'invalid_token',
		},
		{
			name: 'unknown kid',
			token: () => forge(key('foreign'), claimsAt(now()), { kid: 'k9' }),
			status: 401,
			code: 'invalid_token',
			error: 'invalid_token',
		},
		{
			name: 'published kid, foreign key',
			token: () => forge(key('foreign'), claimsAt(now())),
			status: 401,
			code: 'invalid_token',
			error: 'invalid_token',
		},
		{
			name: 'wrong typ',
			token: () => forge(key('signing'), claimsAt(now()), { typ: 'JWT' }),
			status: 401,
			code: 'invalid_token',
			error: 'invalid_token',
		},
		{
			name: 'no client_id claim (RFC 9068 requires it)',
			token: () => forge(key('signing'), claimsAt(now(), { client_id: undefined })),
			status: 401,
			code: 'invalid_token',
			error: 'invalid_token',
		},
		{
			name: 'no key_id claim',
			token: () => forge(key('signing'), claimsAt(now(), { key_id: undefined })),
			status: 401,
			code: 'invalid_token',
			error: 'invalid_token',
		},
		{
			name: 'under-scoped',
			token: () => forge(key('signing'), claimsAt(now(), { scope: 'users:read' })),
			status: 403,
			code: 'insufficient_scope',
			error: 'insufficient_scope',
		},
	]
}
