import { isKeywardError } from '@keyward/core'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { beforeEach, describe, expect, it } from 'vitest'
import { createTokenIssuer } from '../src/issuer.js'
import { generateSigningKey } from '../src/signing-key.js'
import { AUDIENCE, createFixture, type Fixture, ISSUER } from './support.js'

let f: Fixture
beforeEach(async () => {
	f = await createFixture()
})

function expectOk<T extends { ok: boolean }>(result: T): Extract<T, { ok: true }> {
	expect(result.ok).toBe(true)
	return result as Extract<T, { ok: true }>
}

describe('mint', () => {
	it('mints from the key text with the claims internal services need', async () => {
		const minted = expectOk(await f.issuer.mint(f.apiKey))
		const info = await f.keyward.getKey(f.apiKey)
		const iat = Math.floor(f.clock.ms / 1000)
		expect(decodeJwt(minted.token)).toEqual({
			iss: ISSUER,
			sub: 'acme',
			aud: AUDIENCE,
			iat,
			nbf: iat,
			exp: iat + 300,
			jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
			client_id: info.id,
			key_id: info.id,
			scope: 'reports:read users:*',
		})
		expect(decodeProtectedHeader(minted.token)).toEqual({ alg: 'EdDSA', kid: 'k1', typ: 'at+jwt' })
		expect(minted.claims).toEqual(decodeJwt(minted.token))
		expect(minted.expiresAt).toEqual(new Date((iat + 300) * 1000))
		expect(minted.key.id).toBe(info.id)
	})

	it('mints from a request, reading the key like apiKeyAuth', async () => {
		const req = { headers: { 'x-api-key': f.apiKey }, url: '/token' }
		expect((await f.issuer.mint(req)).ok).toBe(true)
		const fromQuery = { headers: {}, url: `/token?api_key=${f.apiKey}&x=1` }
		const minted = await f.issuer.mint(fromQuery)
		expect(minted.ok).toBe(true)
		// The request is left alone; what to hide is reported, for the framework's copies of it.
		expect(fromQuery.url).toBe(`/token?api_key=${f.apiKey}&x=1`)
		expect(minted.hide).toMatchObject({ url: '/token?x=1', headers: [] })
	})

	it('counts a mint from a request or key text against the quota, not one from a verified KeyInfo', async () => {
		const { key, info } = await f.keyward.createKey({ owner: 'acme', monthlyQuota: 10 })
		expect(expectOk(await f.issuer.mint(key)).headers).toHaveProperty('RateLimit')
		await f.issuer.mint({ headers: { authorization: `Apikey ${key}` } })
		expect((await f.keyward.usage(key)).used).toBe(2)
		expectOk(await f.issuer.mint(info))
		expect((await f.keyward.usage(key)).used).toBe(2)
	})

	it('never sets exp past the key expiry', async () => {
		const { key } = await f.keyward.createKey({ owner: 'acme', expiresIn: 42_900 })
		const minted = expectOk(await f.issuer.mint(key))
		expect(minted.claims.exp).toBe(Math.floor((f.clock.ms + 42_900) / 1000))
		expect(minted.expiresAt.getTime()).toBeLessThanOrEqual(f.clock.ms + 42_900)
	})

	it('refuses a key that expires within the second instead of minting an expired token', async () => {
		const { info } = await f.keyward.createKey({ owner: 'acme', expiresIn: 300 })
		const aligned = { ...info, expiresAt: new Date(Math.floor(f.clock.ms / 1000) * 1000 + 500) }
		f.clock.ms = Math.floor(f.clock.ms / 1000) * 1000 + 100
		const result = await f.issuer.mint(aligned)
		expect(result).toMatchObject({ ok: false, status: 401, code: 'expired' })
	})

	it('accepts a shorter lifetime per call and refuses a longer one', async () => {
		expect(expectOk(await f.issuer.mint(f.apiKey, { ttlMs: 30_000 })).claims.exp).toBe(
			Math.floor(f.clock.ms / 1000) + 30,
		)
		await expect(f.issuer.mint(f.apiKey, { ttlMs: 600_000 })).rejects.toSatisfy((e) =>
			isKeywardError(e, 'invalid_argument'),
		)
	})

	it('narrows scopes, dropping duplicates, and never widens them', async () => {
		const narrowed = expectOk(
			await f.issuer.mint(f.apiKey, { scopes: ['users:read', 'users:read', 'users:*'] }),
		)
		expect(narrowed.claims.scope).toBe('users:read users:*')
		expect(expectOk(await f.issuer.mint(f.apiKey, { scopes: [] })).claims.scope).toBe('')
		for (const scopes of [['*'], ['admin'], ['users'], ['reports:*']]) {
			expect(await f.issuer.mint(f.apiKey, { scopes })).toMatchObject({
				ok: false,
				status: 403,
				code: 'insufficient_scope',
			})
		}
	})

	it('refuses revoked, expired and unknown keys with core results', async () => {
		const info = await f.keyward.getKey(f.apiKey)
		await f.keyward.revokeKey(f.apiKey)
		expect(await f.issuer.mint(f.apiKey)).toMatchObject({ status: 401, code: 'revoked' })
		expect(await f.issuer.mint({ ...info, revokedAt: new Date(f.clock.ms) })).toMatchObject({
			status: 401,
			code: 'revoked',
			headers: { 'WWW-Authenticate': 'Apikey realm="api"' },
		})
		expect(await f.issuer.mint({ ...info, expiresAt: new Date(f.clock.ms - 1) })).toMatchObject({
			code: 'expired',
		})
		expect(await f.issuer.mint('kw_garbage')).toMatchObject({ status: 401, code: 'malformed' })
		expect(await f.issuer.mint({ headers: {} })).toMatchObject({ status: 401, code: 'missing' })
	})

	it('reports bad scope syntax as 400 after the key, without charging it', async () => {
		const { key } = await f.keyward.createKey({ owner: 'acme', scopes: ['*'], monthlyQuota: 3 })
		for (const scopes of [['has space'], [''], 'read' as unknown as string[], [42 as unknown as string]]) {
			expect(await f.issuer.mint(key, { scopes })).toMatchObject({ status: 400, code: 'invalid_request' })
			expect(await f.issuer.mint('kw_nope', { scopes })).toMatchObject({ status: 401, code: 'malformed' })
		}
		expect((await f.keyward.usage(key)).used).toBe(0)
	})

	it('throws for a source that is neither a request, a key nor a KeyInfo', async () => {
		await expect(f.issuer.mint(42 as unknown as string)).rejects.toSatisfy((e) =>
			isKeywardError(e, 'invalid_argument'),
		)
	})
})

describe('createTokenIssuer options', () => {
	it('rejects misconfiguration at once', async () => {
		const key = await generateSigningKey()
		const base = { keyward: f.keyward, issuer: ISSUER, audience: AUDIENCE, keys: [key] }
		const cases: [Record<string, unknown>, RegExp][] = [
			[{ ...base, ttl: 1000 }, /Unknown option "ttl".*did you mean "ttlMs"/],
			[{ ...base, keys: [] }, /at least one signing key/],
			[{ ...base, keys: [key, key] }, /two keys with kid/],
			[{ ...base, keys: [{ kid: 'x' }] }, /signing keys from generateSigningKey/],
			[{ ...base, issuer: '' }, /issuer/],
			[{ ...base, audience: [] }, /audience/],
			[{ ...base, ttlMs: 10 }, /ttlMs/],
			[{ ...base, ttlMs: 2 * 86_400_000 }, /ttlMs/],
			[{ ...base, keyward: {} }, /keyward/],
			[{ ...base, now: 5 }, /now/],
		]
		for (const [options, message] of cases) {
			expect(() => createTokenIssuer(options as never)).toThrow(message)
		}
		try {
			createTokenIssuer({ ...base, ttlMs: 10 })
		} catch (error) {
			expect(isKeywardError(error, 'invalid_option')).toBe(true)
		}
	})

	it('signs for several audiences when asked to', async () => {
		const issuer = createTokenIssuer({
			keyward: f.keyward,
			issuer: ISSUER,
			audience: ['a', 'b'],
			keys: [await generateSigningKey()],
		})
		expect(decodeJwt(expectOk(await issuer.mint(f.apiKey)).token).aud).toEqual(['a', 'b'])
	})
})
