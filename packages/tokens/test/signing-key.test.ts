import { isKeywardError } from '@keyward/core'
import { calculateJwkThumbprint, jwtVerify, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { exportSigningKey, generateSigningKey, importSigningKey } from '../src/signing-key.js'

describe('signing keys', () => {
	it('generates Ed25519 by default, with the thumbprint as kid and a public-only JWK', async () => {
		const key = await generateSigningKey()
		expect(key.alg).toBe('EdDSA')
		expect(key.publicJwk).toEqual({
			kty: 'OKP',
			crv: 'Ed25519',
			x: expect.any(String),
			kid: key.kid,
			alg: 'EdDSA',
			use: 'sig',
		})
		expect(key.kid).toBe(
			await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: key.publicJwk.x as string }),
		)
		expect(key.privateKey.extractable).toBe(false)
		await expect(exportSigningKey(key)).rejects.toSatisfy((e) => isKeywardError(e, 'invalid_argument'))
	})

	it('generates ES256 with a chosen kid', async () => {
		const key = await generateSigningKey({ alg: 'ES256', kid: '2026-11' })
		expect(key.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', kid: '2026-11', alg: 'ES256', use: 'sig' })
		expect(key.publicJwk).not.toHaveProperty('d')
	})

	it.each(['EdDSA', 'ES256'] as const)('round-trips %s through a private JWK', async (alg) => {
		const original = await generateSigningKey({ alg, extractable: true, kid: 'a' })
		const jwk = await exportSigningKey(original)
		expect(jwk).toMatchObject({ kid: 'a', alg, d: expect.any(String) })
		const imported = await importSigningKey(jwk)
		expect(imported.publicJwk).toEqual(original.publicJwk)
		const token = await new SignJWT({}).setProtectedHeader({ alg }).sign(imported.privateKey)
		const { importJWK } = await import('jose')
		await expect(jwtVerify(token, await importJWK({ ...original.publicJwk }, alg))).resolves.toBeDefined()
		expect((await importSigningKey(jwk, { kid: 'b' })).kid).toBe('b')
	})

	it('derives alg from the curve when the JWK has none', async () => {
		const jwk = await exportSigningKey(await generateSigningKey({ alg: 'ES256', extractable: true }))
		const { alg: _alg, kid: _kid, ...bare } = jwk
		const imported = await importSigningKey(bare)
		expect(imported.alg).toBe('ES256')
		expect(imported.kid).toBe(jwk.kid)
	})

	it('refuses what it cannot sign with', async () => {
		const ed = await exportSigningKey(await generateSigningKey({ extractable: true }))
		const bad = [
			() => generateSigningKey({ alg: 'RS256' as never }),
			() => generateSigningKey({ kid: 'has space' }),
			() => importSigningKey({ kty: 'OKP', crv: 'Ed25519', x: ed.x as string }),
			() => importSigningKey({ ...ed, alg: 'ES256' }),
			() => importSigningKey({ kty: 'oct', k: 'c2VjcmV0', d: 'x' }),
			() => importSigningKey({ ...ed, d: 'AAAA' }),
		]
		for (const attempt of bad) {
			await expect(attempt()).rejects.toSatisfy((e) => isKeywardError(e, 'invalid_argument'))
		}
	})
})
