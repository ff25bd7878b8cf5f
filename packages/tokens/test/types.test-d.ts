import type { KeyInfo } from '@keyward/core'
import type { Request } from 'express'
import type { DefaultState } from 'koa'
import { describe, expectTypeOf, it } from 'vitest'
import type { TokenIssuer } from '../src/issuer.js'
import type { MintResult, TokenClaims, TokenVerifyResult } from '../src/types.js'
import type { TokenVerifier } from '../src/verifier.js'
import '../src/express.js'
import '../src/koa.js'

describe('types', () => {
	it('augments Express requests and Koa state', () => {
		expectTypeOf<Request['apiKey']>().toEqualTypeOf<KeyInfo | undefined>()
		expectTypeOf<Request['token']>().toEqualTypeOf<TokenClaims | undefined>()
		expectTypeOf<DefaultState['apiKey']>().toEqualTypeOf<KeyInfo | undefined>()
		expectTypeOf<DefaultState['token']>().toEqualTypeOf<TokenClaims | undefined>()
	})

	it('returns discriminated results', () => {
		expectTypeOf<ReturnType<TokenIssuer['mint']>>().toEqualTypeOf<Promise<MintResult>>()
		expectTypeOf<ReturnType<TokenVerifier['verify']>>().toEqualTypeOf<Promise<TokenVerifyResult>>()
		const result = {} as TokenVerifyResult
		if (result.ok) expectTypeOf(result.key).toEqualTypeOf<KeyInfo>()
		else
			expectTypeOf(result.code).toEqualTypeOf<
				'missing' | 'invalid_token' | 'expired' | 'insufficient_scope' | 'unavailable'
			>()
	})
})
