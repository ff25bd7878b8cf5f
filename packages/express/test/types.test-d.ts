import type { KeyInfo, Keyward } from '@keyward/core'
import type { Request, RequestHandler, Response } from 'express'
import { describe, expectTypeOf, it } from 'vitest'
import { type ApiKeyAuthOptions, apiKeyAuth, requireScopes } from '../src/index.js'

describe('types', () => {
	it('types req.apiKey through declaration merging', () => {
		expectTypeOf<Request['apiKey']>().toEqualTypeOf<KeyInfo | undefined>()
	})

	it('returns Express request handlers', () => {
		expectTypeOf(apiKeyAuth).parameters.toEqualTypeOf<[Keyward, Readonly<ApiKeyAuthOptions>?]>()
		expectTypeOf(apiKeyAuth).returns.toEqualTypeOf<RequestHandler>()
		expectTypeOf(requireScopes).parameters.toEqualTypeOf<string[]>()
		expectTypeOf(requireScopes).returns.toEqualTypeOf<RequestHandler>()
	})

	it('types the options', () => {
		expectTypeOf<ApiKeyAuthOptions['optional']>().toEqualTypeOf<boolean | undefined>()
		expectTypeOf<ApiKeyAuthOptions['preflight']>().toEqualTypeOf<'skip' | 'authenticate' | undefined>()
		expectTypeOf<ApiKeyAuthOptions['hideCredentials']>().toEqualTypeOf<'query' | boolean | undefined>()
		expectTypeOf<NonNullable<ApiKeyAuthOptions['skip']>>().parameters.toEqualTypeOf<[Request, Response]>()
		expectTypeOf<NonNullable<ApiKeyAuthOptions['skip']>>().returns.toEqualTypeOf<boolean | Promise<boolean>>()
	})
})
