import { describe, expect, it } from 'vitest'

describe('package exports (built dist)', () => {
	it('exposes the core API from the root entry', async () => {
		const root = await import('@keyward/tokens')
		expect(Object.keys(root).sort()).toEqual([
			'TOKEN_REJECTIONS',
			'asTokenClaims',
			'bearerChallenge',
			'createTokenIssuer',
			'createTokenVerifier',
			'exportSigningKey',
			'generateSigningKey',
			'importSigningKey',
			'keyInfoFromClaims',
			'parseScope',
		])
	})

	it('exposes the Express and Koa glue from their subpaths', async () => {
		for (const glue of [await import('@keyward/tokens/express'), await import('@keyward/tokens/koa')]) {
			expect(Object.keys(glue).sort()).toEqual(['jwksHandler', 'tokenAuth', 'tokenHandler'])
		}
	})
})
