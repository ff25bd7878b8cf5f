import type { KeyInfo } from '@keyward/core'
import type { AuthExports, AuthOptions } from '@keyward/internal-testing'
import { type Context, Hono, type MiddlewareHandler } from 'hono'
import { describe, expectTypeOf, it } from 'vitest'
import { type ApiKeyAuthOptions, apiKeyAuth, requireScopes } from '../src/hono/index.js'
import { type RequestVerification, type RequestVerifierOptions, withApiKey } from '../src/index.js'

describe('types', () => {
	it("types c.get('apiKey') through declaration merging", () => {
		new Hono().get('/', (c) => {
			expectTypeOf(c.get('apiKey')).toEqualTypeOf<KeyInfo | undefined>()
			expectTypeOf(c.var.apiKey).toEqualTypeOf<KeyInfo | undefined>()
			return c.text('ok')
		})
	})

	it('returns Hono middleware, its options those of every adapter plus client', () => {
		type Skip = (c: Context) => boolean | Promise<boolean>
		// `apiKeyAuth` takes more options (`client`), so it fits where every adapter's does.
		expectTypeOf({ apiKeyAuth, requireScopes }).toExtend<AuthExports<MiddlewareHandler, Skip>>()
		expectTypeOf<ApiKeyAuthOptions>().toExtend<AuthOptions<Skip>>()
		expectTypeOf<ApiKeyAuthOptions['client']>().toEqualTypeOf<
			((c: Context) => string | undefined) | undefined
		>()
		expectTypeOf<RequestVerifierOptions>().toExtend<
			AuthOptions<(request: Request) => boolean | Promise<boolean>>
		>()
	})

	it('narrows a verification, and keeps the context type of a wrapped route handler', () => {
		const result = {} as RequestVerification
		if (result.ok) expectTypeOf(result.key).toEqualTypeOf<KeyInfo | undefined>()
		else expectTypeOf(result.response).toEqualTypeOf<Response>()
		type Ctx = { params: Promise<{ id: string }> }
		const GET = withApiKey(async (_request, context: Ctx) => Response.json(await context.params), {} as never)
		expectTypeOf(GET).toEqualTypeOf<(request: Request, context: Ctx) => Promise<Response>>()
	})
})
