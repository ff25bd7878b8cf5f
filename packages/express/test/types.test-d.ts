import type { KeyInfo } from '@keyward/core'
import type { AuthOptions, NodeAdapterExports, NodeAdapterFunction } from '@keyward/internal-testing'
import type { Request, RequestHandler, Response } from 'express'
import { describe, expectTypeOf, it } from 'vitest'
import type * as adapter from '../src/index.js'

/** `skip` gets the request and the response, and may answer late. */
type Skip = (req: Request, res: Response) => boolean | Promise<boolean>

describe('types', () => {
	it('types req.apiKey through declaration merging', () => {
		expectTypeOf<Request['apiKey']>().toEqualTypeOf<KeyInfo | undefined>()
	})

	it('exports what every Node adapter exports, typed with the request handlers of Express', () => {
		expectTypeOf<Pick<typeof adapter, NodeAdapterFunction>>().toEqualTypeOf<
			NodeAdapterExports<RequestHandler, Skip, Request>
		>()
		// The option types by name: what the signatures above take.
		expectTypeOf<adapter.ApiKeyAuthOptions>().toEqualTypeOf<AuthOptions<Skip>>()
	})
})
