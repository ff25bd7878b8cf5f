import type { KeyInfo } from '@keyward/core'
import type { AuthExports, AuthOptions } from '@keyward/internal-testing'
import type { Context, DefaultState, Middleware, ParameterizedContext } from 'koa'
import { describe, expectTypeOf, it } from 'vitest'
import { type ApiKeyAuthOptions, apiKeyAuth, requireScopes } from '../src/index.js'

describe('types', () => {
	it('types ctx.state.apiKey through declaration merging', () => {
		expectTypeOf<DefaultState['apiKey']>().toEqualTypeOf<KeyInfo | undefined>()
		expectTypeOf<Context['state']['apiKey']>().toEqualTypeOf<KeyInfo | undefined>()
		expectTypeOf<ParameterizedContext['state']['apiKey']>().toEqualTypeOf<KeyInfo | undefined>()
	})

	it('returns Koa middleware, its options typed as in every adapter with skip taking the context', () => {
		type Skip = (ctx: Context) => boolean | Promise<boolean>
		expectTypeOf({ apiKeyAuth, requireScopes }).toEqualTypeOf<AuthExports<Middleware, Skip>>()
		expectTypeOf<ApiKeyAuthOptions>().toEqualTypeOf<AuthOptions<Skip>>()
		expectTypeOf<ApiKeyAuthOptions['hideCredentials']>().toEqualTypeOf<'query' | boolean | undefined>()
	})
})
