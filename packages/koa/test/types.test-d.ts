import type { KeyInfo, Keyward } from '@keyward/core'
import type { Context, DefaultState, Middleware, ParameterizedContext } from 'koa'
import { describe, expectTypeOf, it } from 'vitest'
import { type ApiKeyAuthOptions, apiKeyAuth, requireScopes } from '../src/index.js'

describe('types', () => {
	it('types ctx.state.apiKey through declaration merging', () => {
		expectTypeOf<DefaultState['apiKey']>().toEqualTypeOf<KeyInfo | undefined>()
		expectTypeOf<Context['state']['apiKey']>().toEqualTypeOf<KeyInfo | undefined>()
		expectTypeOf<ParameterizedContext['state']['apiKey']>().toEqualTypeOf<KeyInfo | undefined>()
	})

	it('returns Koa middleware', () => {
		expectTypeOf(apiKeyAuth).parameters.toEqualTypeOf<[Keyward, Readonly<ApiKeyAuthOptions>?]>()
		expectTypeOf(apiKeyAuth).returns.toEqualTypeOf<Middleware>()
		expectTypeOf(requireScopes).parameters.toEqualTypeOf<string[]>()
		expectTypeOf(requireScopes).returns.toEqualTypeOf<Middleware>()
	})

	it('types the options', () => {
		expectTypeOf<ApiKeyAuthOptions['optional']>().toEqualTypeOf<boolean | undefined>()
		expectTypeOf<ApiKeyAuthOptions['preflight']>().toEqualTypeOf<'skip' | 'authenticate' | undefined>()
		expectTypeOf<ApiKeyAuthOptions['hideCredentials']>().toEqualTypeOf<'query' | boolean | undefined>()
		expectTypeOf<NonNullable<ApiKeyAuthOptions['skip']>>().parameters.toEqualTypeOf<[Context]>()
		expectTypeOf<NonNullable<ApiKeyAuthOptions['skip']>>().returns.toEqualTypeOf<boolean | Promise<boolean>>()
	})
})
