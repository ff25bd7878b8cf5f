import type { KeyInfo } from '@keyward/core'
import type { AuthOptions, NodeAdapterExports, NodeAdapterFunction } from '@keyward/internal-testing'
import type { Context, DefaultState, Middleware, ParameterizedContext } from 'koa'
import { describe, expectTypeOf, it } from 'vitest'
import type * as adapter from '../src/index.js'

describe('types', () => {
	it('types ctx.state.apiKey through declaration merging', () => {
		expectTypeOf<DefaultState['apiKey']>().toEqualTypeOf<KeyInfo | undefined>()
		expectTypeOf<Context['state']['apiKey']>().toEqualTypeOf<KeyInfo | undefined>()
		expectTypeOf<ParameterizedContext['state']['apiKey']>().toEqualTypeOf<KeyInfo | undefined>()
	})

	it('exports what every Node adapter exports, typed with Koa middleware', () => {
		type Skip = (ctx: Context) => boolean | Promise<boolean>
		expectTypeOf<Pick<typeof adapter, NodeAdapterFunction>>().toEqualTypeOf<
			NodeAdapterExports<Middleware, Skip, Context>
		>()
		// The option types by name: what the signatures above take.
		expectTypeOf<adapter.ApiKeyAuthOptions>().toEqualTypeOf<AuthOptions<Skip>>()
	})
})
