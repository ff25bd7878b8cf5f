import { createKeyward } from '@keyward/core'
import { createTokenIssuer, createTokenVerifier, generateSigningKey } from '@keyward/tokens'
import { describe, expect, it } from 'vitest'

describe('options of @keyward/tokens', () => {
	it('refuses misspelt options of every function, with a hint', async () => {
		await expect(generateSigningKey({ algo: 'ES256' } as never)).rejects.toThrow(
			/Unknown option "algo" in generateSigningKey options \(did you mean "alg"\?\)/,
		)
		const keyward = createKeyward()
		const keys = [await generateSigningKey(), await generateSigningKey()]
		const issuer = createTokenIssuer({ keyward, issuer: 'https://edge', audience: 'svc', keys })
		const { key } = await keyward.createKey({ owner: 'acme', scopes: ['a'] })
		await expect(issuer.mint(key, { scope: ['a'] } as never)).rejects.toThrow(
			/Unknown option "scope" in mint options \(did you mean "scopes"\?\)/,
		)
		expect(() => issuer.rotate({ nxt: keys[0] } as never)).toThrow(/did you mean "next"/)
		const verifier = createTokenVerifier({ issuer: 'https://edge', audience: 'svc', jwks: issuer })
		await expect(verifier.verify('a.b.c', { scope: ['a'] } as never)).rejects.toThrow(/did you mean "scopes"/)
		// Nothing was counted for the refused mint.
		expect((await keyward.usage(key)).used).toBe(0)
	})
})
