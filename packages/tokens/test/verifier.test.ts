import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isKeywardError } from '@keyward/core'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { extractBearer } from '../src/bearer.js'
import { createTokenVerifier, type TokenVerifierOptions } from '../src/verifier.js'
import { AUDIENCE, claimsAt, createFixture, type Fixture, forge, ISSUER } from './support.js'

let f: Fixture
beforeEach(async () => {
	f = await createFixture()
})

function verifierWith(options: Partial<TokenVerifierOptions> = {}) {
	return createTokenVerifier({
		issuer: ISSUER,
		audience: AUDIENCE,
		jwks: f.issuer,
		now: f.clock.now,
		...options,
	})
}

describe('verify', () => {
	it('turns the claims into a core KeyInfo', async () => {
		const minted = await f.issuer.mint(f.apiKey, { scopes: ['reports:read'] })
		if (!minted.ok) throw new Error('mint failed')
		const result = await verifierWith().verify(minted.token, { scopes: ['reports:read'] })
		if (!result.ok) throw new Error(result.code)
		expect(result.key).toEqual({
			id: minted.claims.key_id,
			owner: 'acme',
			name: null,
			note: null,
			scopes: ['reports:read'],
			createdAt: new Date(minted.claims.iat * 1000),
			expiresAt: new Date(minted.claims.exp * 1000),
			revokedAt: null,
			lastUsedAt: null,
			monthlyQuota: null,
			metadata: {},
			familyId: minted.claims.key_id,
			replacedBy: null,
			hint: null,
		})
		expect(result.claims).toEqual(minted.claims)
	})

	it('understands wildcard scopes in the token', async () => {
		const token = await forge(f.signing, claimsAt(f.clock.ms, { scope: 'reports:*' }))
		expect((await verifierWith().verify(token, { scopes: ['reports:read'] })).ok).toBe(true)
		const refused = await verifierWith().verify(token, { scopes: ['users:read'] })
		expect(refused).toMatchObject({ status: 403, code: 'insufficient_scope' })
		expect(refused.headers['WWW-Authenticate']).toBe(
			'Bearer realm="api", error="insufficient_scope", error_description="Insufficient scope", scope="users:read"',
		)
	})

	it('applies the clock tolerance to nbf and exp', async () => {
		const soon = await forge(f.signing, claimsAt(f.clock.ms + 4_000))
		expect((await verifierWith().verify(soon)).ok).toBe(true)
		expect(await verifierWith({ clockToleranceSec: 0 }).verify(soon)).toMatchObject({
			code: 'invalid_token',
			detail: 'Token is not yet valid',
		})
	})

	it('only accepts the listed algorithms', async () => {
		f.issuer.rotate()
		const es256 = await f.issuer.mint(f.apiKey)
		if (!es256.ok) throw new Error('mint failed')
		expect((await verifierWith().verify(es256.token)).ok).toBe(true)
		expect(await verifierWith({ algorithms: ['EdDSA'] }).verify(es256.token)).toMatchObject({
			code: 'invalid_token',
		})
	})

	it('takes the media type form of typ that RFC 9068 allows', async () => {
		const token = await forge(f.signing, claimsAt(f.clock.ms), { typ: 'application/at+jwt' })
		expect(await verifierWith().verify(token)).toMatchObject({ ok: true, claims: { client_id: 'abcd1234' } })
	})

	it('refuses claims keyward does not mint, even when signed', async () => {
		const bad: Record<string, unknown>[] = [
			{ sub: undefined },
			{ sub: '' },
			{ scope: 42 },
			{ scope: 'a  b' },
			{ key_id: '' },
			{ client_id: undefined },
			{ client_id: 'someone-else' },
			{ jti: undefined },
			{ jti: '' },
			{ aud: undefined },
			{ iss: undefined },
			{ exp: undefined },
			{ iat: undefined },
			{ exp: 1.5e20 },
		]
		for (const overrides of bad) {
			const token = await forge(f.signing, claimsAt(f.clock.ms, overrides))
			expect(await verifierWith().verify(token), JSON.stringify(overrides)).toMatchObject({
				status: 401,
				code: 'invalid_token',
			})
		}
	})

	it('reads the key set from a plain JWKS object', async () => {
		const minted = await f.issuer.mint(f.apiKey)
		if (!minted.ok) throw new Error('mint failed')
		const snapshot = JSON.parse(JSON.stringify(f.issuer.jwks()))
		expect((await verifierWith({ jwks: snapshot }).verify(minted.token)).ok).toBe(true)
	})

	it('returns 401 for any string, and never throws', async () => {
		const verifier = verifierWith()
		const segment = fc.stringMatching(/^[A-Za-z0-9_-]{0,60}$/)
		const jwtLike = fc.tuple(segment, segment, segment).map((parts) => parts.join('.'))
		await fc.assert(
			fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), jwtLike), async (token) => {
				const result = await verifier.verify(token)
				expect(result.ok).toBe(false)
				expect(result.ok === false && result.status).toBe(401)
			}),
			{ numRuns: 300 },
		)
	})
})

describe('remote JWKS', () => {
	let server: Server
	let respond: (res: import('node:http').ServerResponse) => void
	let url: URL

	beforeEach(async () => {
		respond = (res) => {
			res.setHeader('Content-Type', 'application/json')
			res.end(JSON.stringify(f.issuer.jwks()))
		}
		server = createServer((_req, res) => respond(res))
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
		url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`)
	})

	afterEach(async () => {
		server.closeAllConnections()
		await new Promise((resolve) => server.close(resolve))
	})

	async function token() {
		const minted = await f.issuer.mint(f.apiKey)
		if (!minted.ok) throw new Error('mint failed')
		return minted.token
	}

	it('accepts the URL as a string', async () => {
		expect((await verifierWith({ jwks: url.href }).verify(await token())).ok).toBe(true)
	})

	it('fails closed with 503 when the key set cannot be read', async () => {
		const failures: ((res: import('node:http').ServerResponse) => void)[] = [
			(res) => {
				res.statusCode = 500
				res.end()
			},
			(res) => res.end('not json'),
			(res) => res.end('{"keys": 42}'),
		]
		for (const failure of failures) {
			respond = failure
			const result = await verifierWith({ jwks: url }).verify(await token())
			expect(result).toMatchObject({ ok: false, status: 503, code: 'unavailable', headers: {} })
		}
	})

	it('fails closed with 503 when the key set is unreachable or slow', async () => {
		respond = () => {}
		const slow = await verifierWith({ jwks: url, jwksTimeoutMs: 50 }).verify(await token())
		expect(slow).toMatchObject({ status: 503, code: 'unavailable' })
		const closed = new URL(url)
		server.closeAllConnections()
		await new Promise((resolve) => server.close(resolve))
		const down = await verifierWith({ jwks: closed }).verify(await token())
		expect(down).toMatchObject({ status: 503, code: 'unavailable' })
		server = createServer()
	})

	it('does not refetch for every unknown kid within the cooldown', async () => {
		let fetches = 0
		respond = (res) => {
			fetches++
			res.end(JSON.stringify(f.issuer.jwks()))
		}
		const verifier = verifierWith({ jwks: url })
		expect((await verifier.verify(await token())).ok).toBe(true)
		for (let i = 0; i < 5; i++) {
			const forged = await forge(f.foreign, claimsAt(f.clock.ms), { kid: `unknown-${i}` })
			expect(await verifier.verify(forged)).toMatchObject({ status: 401, code: 'invalid_token' })
		}
		expect(fetches).toBe(1)
	})
})

describe('extractBearer', () => {
	it.each([
		[{}, { kind: 'none' }],
		[{ authorization: 'Apikey kw_x' }, { kind: 'none' }],
		[{ authorization: 'Bearerx a.b.c' }, { kind: 'none' }],
		[{ authorization: 'Bearer' }, { kind: 'invalid' }],
		[{ authorization: 'Bearer \t ' }, { kind: 'invalid' }],
		[{ authorization: 'Bearer a b' }, { kind: 'invalid' }],
		[{ authorization: 'Bearer a"b' }, { kind: 'invalid' }],
		[{ authorization: ['Bearer a', 'Bearer b'] }, { kind: 'invalid' }],
		[{ authorization: `Bearer ${'a'.repeat(8193)}` }, { kind: 'invalid' }],
		[{ authorization: ' bearer\ta.b.c ' }, { kind: 'token', token: 'a.b.c' }],
		[{ authorization: 'BEARER abc==' }, { kind: 'token', token: 'abc==' }],
	])('%j', (headers, expected) => {
		expect(extractBearer({ headers })).toEqual(expected)
	})

	it('treats a repeated Authorization header as invalid', () => {
		const rawHeaders = ['Authorization', 'Bearer a', 'authorization', 'Bearer b']
		expect(extractBearer({ headers: { authorization: 'Bearer a' }, rawHeaders })).toEqual({ kind: 'invalid' })
	})
})

describe('createTokenVerifier options', () => {
	it('rejects misconfiguration at once', () => {
		const base = { issuer: ISSUER, audience: AUDIENCE, jwks: f.issuer }
		const cases: [Record<string, unknown>, RegExp][] = [
			[{ ...base, audiance: 'x' }, /Unknown option "audiance".*did you mean "audience"/],
			[{ ...base, algorithms: ['HS256'] }, /algorithms/],
			[{ ...base, algorithms: ['none'] }, /algorithms/],
			[{ ...base, algorithms: [] }, /algorithms/],
			[{ ...base, jwks: 'not a url' }, /jwks/],
			[{ ...base, jwks: 'file:///etc/passwd' }, /http: or https:/],
			[{ ...base, jwks: { keys: 'x' } }, /jwks/],
			[{ ...base, jwks: { keys: [42] } }, /JSON Web Key Set/],
			[{ ...base, clockToleranceSec: -1 }, /clockToleranceSec/],
			[{ ...base, issuer: undefined }, /issuer/],
			[{ ...base, audience: '' }, /audience/],
			[{ ...base, jwks: new URL('https://x.test/jwks'), jwksTimeoutMs: 0 }, /jwksTimeoutMs/],
			[{ ...base, jwks: new URL('https://x.test/jwks'), jwksMaxBytes: 0 }, /jwksMaxBytes/],
			[{ ...base, jwks: new URL('https://x.test/jwks'), jwksMaxBytes: 1.5 }, /jwksMaxBytes/],
			[{ ...base, jwks: new URL('https://x.test/jwks'), jwksMaxBytes: '4096' }, /jwksMaxBytes/],
			[{ ...base, jwks: new URL('https://x.test/jwks'), jwksMaxBytes: 2 ** 40 }, /jwksMaxBytes/],
			[{ ...base, jwksMaxByte: 4096 }, /Unknown option "jwksMaxByte".*did you mean "jwksMaxBytes"/],
		]
		for (const [options, message] of cases) {
			let error: unknown
			try {
				createTokenVerifier(options as never)
			} catch (e) {
				error = e
			}
			expect(isKeywardError(error, 'invalid_option'), String(message)).toBe(true)
			expect(String(error)).toMatch(message)
		}
	})
})
