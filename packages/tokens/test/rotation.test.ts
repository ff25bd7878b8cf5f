import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isKeywardError } from '@keyward/core'
import { decodeProtectedHeader } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { TokenIssuer } from '../src/issuer.js'
import { generateSigningKey } from '../src/signing-key.js'
import type { MintResult } from '../src/types.js'
import { createTokenVerifier, type TokenVerifier } from '../src/verifier.js'
import { AUDIENCE, createFixture, type Fixture, ISSUER } from './support.js'

let f: Fixture
let verifier: TokenVerifier

beforeEach(async () => {
	f = await createFixture({ retireGraceMs: 60_000 })
	verifier = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: f.issuer, now: f.clock.now })
})

function tokenOf(result: MintResult): string {
	if (!result.ok) throw new Error(`mint failed: ${result.code}`)
	return result.token
}

const kids = (issuer: TokenIssuer) => issuer.jwks().keys.map((k) => k.kid)

describe('rotation', () => {
	it('publishes the next key before it signs', () => {
		expect(f.issuer.keys()).toEqual([
			{ kid: 'k1', alg: 'EdDSA', state: 'signing', retireAt: null },
			{ kid: 'k2', alg: 'ES256', state: 'next', retireAt: null },
		])
		expect(kids(f.issuer)).toEqual(['k1', 'k2'])
	})

	it('keeps tokens signed by the old key valid until they expire, then drops the old key', async () => {
		const before = tokenOf(await f.issuer.mint(f.apiKey))
		const k3 = await generateSigningKey({ kid: 'k3' })
		f.issuer.rotate({ next: k3 })
		const retireAt = new Date(f.clock.ms + 300_000 + 60_000)
		expect(f.issuer.keys()).toEqual([
			{ kid: 'k2', alg: 'ES256', state: 'signing', retireAt: null },
			{ kid: 'k3', alg: 'EdDSA', state: 'next', retireAt: null },
			{ kid: 'k1', alg: 'EdDSA', state: 'retiring', retireAt },
		])
		const after = tokenOf(await f.issuer.mint(f.apiKey))
		expect(decodeProtectedHeader(after)).toMatchObject({ kid: 'k2', alg: 'ES256' })

		expect((await verifier.verify(before)).ok).toBe(true)
		expect((await verifier.verify(after)).ok).toBe(true)

		f.clock.advance(299_000)
		expect((await verifier.verify(before)).ok).toBe(true)
		expect(kids(f.issuer)).toContain('k1')

		f.clock.advance(61_000 - 1)
		expect(kids(f.issuer)).toContain('k1')
		expect(await verifier.verify(before)).toMatchObject({ code: 'expired' })

		f.clock.advance(1)
		expect(kids(f.issuer)).toEqual(['k2', 'k3'])
		expect(f.issuer.keys().map((k) => k.state)).toEqual(['signing', 'next'])
	})

	it('refuses to rotate to a key that was never published', async () => {
		f.issuer.rotate()
		let error: unknown
		try {
			f.issuer.rotate()
		} catch (e) {
			error = e
		}
		expect(isKeywardError(error, 'invalid_argument')).toBe(true)
		expect(String(error)).toMatch(/published next key/)
		expect(f.issuer.keys().find((k) => k.state === 'signing')?.kid).toBe('k2')
	})

	it('leaves the ring untouched when the key to publish after rotating is a duplicate', () => {
		const before = f.issuer.keys()
		expect(() => f.issuer.rotate({ next: f.signing })).toThrow(/already published/)
		expect(f.issuer.keys()).toEqual(before)
	})

	it('publish(), retire() and remove() manage keys outside rotation', async () => {
		const k3 = await generateSigningKey({ kid: 'k3' })
		f.issuer.publish(k3)
		expect(() => f.issuer.publish(k3)).toThrow(/already published/)
		expect(kids(f.issuer)).toEqual(['k1', 'k2', 'k3'])

		f.issuer.retire('k2', { at: new Date(f.clock.ms + 1000) })
		expect(f.issuer.keys().find((k) => k.kid === 'k2')?.state).toBe('retiring')
		f.clock.advance(1000)
		expect(kids(f.issuer)).toEqual(['k1', 'k3'])

		f.issuer.rotate()
		expect(f.issuer.keys().find((k) => k.state === 'signing')?.kid).toBe('k3')

		const leaked = tokenOf(await f.issuer.mint(f.apiKey))
		f.issuer.publish(await generateSigningKey({ kid: 'k4' }))
		f.issuer.rotate()
		expect((await verifier.verify(leaked)).ok).toBe(true)
		expect(() => f.issuer.remove('k4')).toThrow(/signing key cannot be removed/)
		expect(() => f.issuer.retire('k4')).toThrow(/signing key cannot be retired/)
		expect(() => f.issuer.remove('nope')).toThrow(/No published key/)
		f.issuer.remove('k3')
		expect(await verifier.verify(leaked)).toMatchObject({ status: 401, code: 'invalid_token' })
	})

	it('hands out the same JWKS object until the keys change', async () => {
		const first = f.issuer.jwks()
		expect(f.issuer.jwks()).toBe(first)
		expect(Object.isFrozen(first)).toBe(true)
		f.issuer.publish(await generateSigningKey({ kid: 'k3' }))
		expect(f.issuer.jwks()).not.toBe(first)
	})
})

describe('rotation seen by a remote verifier', () => {
	let server: Server
	let fetches: number
	let jwksUrl: URL

	beforeEach(async () => {
		fetches = 0
		server = createServer((_req, res) => {
			fetches++
			res.setHeader('Content-Type', 'application/json')
			res.end(JSON.stringify(f.issuer.jwks()))
		})
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
		jwksUrl = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`)
	})

	afterEach(async () => {
		await new Promise((resolve) => server.close(resolve))
	})

	it('verifies tokens of the new key from its cache: the key was published before it signed', async () => {
		const remote = createTokenVerifier({
			issuer: ISSUER,
			audience: AUDIENCE,
			jwks: jwksUrl,
			now: f.clock.now,
			jwksCooldownMs: 86_400_000,
			jwksCacheMaxAgeMs: 86_400_000,
		})
		const before = tokenOf(await f.issuer.mint(f.apiKey))
		expect((await remote.verify(before)).ok).toBe(true)
		expect(fetches).toBe(1)

		f.issuer.rotate()
		const after = tokenOf(await f.issuer.mint(f.apiKey))
		expect((await remote.verify(after)).ok).toBe(true)
		expect((await remote.verify(before)).ok).toBe(true)
		expect(fetches).toBe(1)
	})

	it('refetches when a token names a kid it does not know', async () => {
		const remote = createTokenVerifier({
			issuer: ISSUER,
			audience: AUDIENCE,
			jwks: jwksUrl,
			now: f.clock.now,
			jwksCooldownMs: 0,
		})
		expect((await remote.verify(tokenOf(await f.issuer.mint(f.apiKey)))).ok).toBe(true)
		expect(fetches).toBe(1)
		// A key that signs without having been published first (what rotate() prevents).
		f.issuer.publish(await generateSigningKey({ kid: 'k3' }))
		f.issuer.rotate()
		f.issuer.rotate()
		expect((await remote.verify(tokenOf(await f.issuer.mint(f.apiKey)))).ok).toBe(true)
		expect(fetches).toBe(2)
	})
})
