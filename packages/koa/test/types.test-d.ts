import type { KeyInfo } from '@keyward/core'
import type { SessionAuthOptions, SessionCookieOptions } from '@keyward/core/adapter'
import type { LeakReportOptions } from '@keyward/core/management'
import type { AuthExports, AuthOptions } from '@keyward/internal-testing'
import type { Context, DefaultState, Middleware, ParameterizedContext } from 'koa'
import { describe, expectTypeOf, it } from 'vitest'
import {
	type ApiKeyAuthOptions,
	apiKeyAuth,
	requireScopes,
	type SessionHandlerOptions,
	sessionLogin,
	sessionLogout,
} from '../src/index.js'
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

	it('returns Middleware for the login and the logout, with the session cookie options', () => {
		expectTypeOf(sessionLogin).returns.toEqualTypeOf<Middleware>()
		expectTypeOf(sessionLogout).returns.toEqualTypeOf<Middleware>()
		expectTypeOf<SessionHandlerOptions>().toEqualTypeOf<SessionCookieOptions>()
		expectTypeOf<NonNullable<ApiKeyAuthOptions['session']>>().toEqualTypeOf<SessionAuthOptions>()
	})
})
