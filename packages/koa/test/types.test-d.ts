import type { KeyInfo } from '@keyward/core'
import type { LeakReportOptions } from '@keyward/core/management'
import type { AuthExports, AuthOptions } from '@keyward/internal-testing'
import type { Context, DefaultState, Middleware, ParameterizedContext } from 'koa'
import { describe, expectTypeOf, it } from 'vitest'
import { type ApiKeyAuthOptions, apiKeyAuth, requireScopes } from '../src/index.js'
import { type LeakReportHandlerOptions, leakReportHandler } from '../src/leak-report.js'

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

	it('types the leak-report options with the context', () => {
		expectTypeOf<LeakReportHandlerOptions>().toEqualTypeOf<LeakReportOptions<Context>>()
		expectTypeOf(leakReportHandler).returns.toEqualTypeOf<Middleware>()
	})
})
