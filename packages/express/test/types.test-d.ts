import type { KeyInfo } from '@keyward/core'
import type { SessionAuthOptions, SessionCookieOptions } from '@keyward/core/adapter'
import type { LeakReportOptions } from '@keyward/core/management'
import type { AuthExports, AuthOptions } from '@keyward/internal-testing'
import type { Request, RequestHandler, Response } from 'express'
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

/** `skip` gets the request and the response, and may answer late. */
type Skip = (req: Request, res: Response) => boolean | Promise<boolean>

describe('types', () => {
	it('types req.apiKey through declaration merging', () => {
		expectTypeOf<Request['apiKey']>().toEqualTypeOf<KeyInfo | undefined>()
	})

	it('returns Express request handlers, its options typed as in every adapter', () => {
		expectTypeOf({ apiKeyAuth, requireScopes }).toEqualTypeOf<AuthExports<RequestHandler, Skip>>()
		expectTypeOf<ApiKeyAuthOptions>().toEqualTypeOf<AuthOptions<Skip>>()
		expectTypeOf<ApiKeyAuthOptions['hideCredentials']>().toEqualTypeOf<'query' | boolean | undefined>()
	})

	it('types the leak-report options with the Express request', () => {
		expectTypeOf<LeakReportHandlerOptions>().toEqualTypeOf<LeakReportOptions<Request>>()
		expectTypeOf(leakReportHandler).returns.toEqualTypeOf<RequestHandler>()
	})

	it('returns RequestHandler for the login and the logout, with the session cookie options', () => {
		expectTypeOf(sessionLogin).returns.toEqualTypeOf<RequestHandler>()
		expectTypeOf(sessionLogout).returns.toEqualTypeOf<RequestHandler>()
		expectTypeOf<SessionHandlerOptions>().toEqualTypeOf<SessionCookieOptions>()
		expectTypeOf<NonNullable<ApiKeyAuthOptions['session']>>().toEqualTypeOf<SessionAuthOptions>()
	})
})
