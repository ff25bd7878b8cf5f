import type { KeyInfo } from '@keyward/core'
import type { AuthExports, AuthOptions } from '@keyward/internal-testing'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { describe, expectTypeOf, it } from 'vitest'
import {
	type ApiKeyAuthOptions,
	apiKeyAuth,
	createFrameworkErrorHandler,
	createLogSerializers,
	type KeywardHook,
	keywardAuth,
	requireScopes,
} from '../src/index.js'

/** `skip` gets Fastify's request and reply, and may answer late. */
type Skip = (request: FastifyRequest, reply: FastifyReply) => boolean | Promise<boolean>

describe('types', () => {
	it('types request.apiKey through declaration merging', () => {
		expectTypeOf<FastifyRequest['apiKey']>().toEqualTypeOf<KeyInfo | undefined>()
		expectTypeOf<FastifyRequest<{ Params: { id: string } }>['apiKey']>().toEqualTypeOf<KeyInfo | undefined>()
	})

	it('returns Fastify hooks, its options typed as in every adapter', () => {
		expectTypeOf({ apiKeyAuth, requireScopes }).toEqualTypeOf<AuthExports<KeywardHook, Skip>>()
		expectTypeOf<ApiKeyAuthOptions>().toEqualTypeOf<AuthOptions<Skip>>()
	})

	it('fits onRequest, preHandler, route generics, the plugin and the server options', () => {
		const keyward = {} as Parameters<typeof apiKeyAuth>[0]
		const app = Fastify({
			logger: { serializers: createLogSerializers(keyward) },
			frameworkErrors: createFrameworkErrorHandler(keyward),
		})
		app.addHook('onRequest', apiKeyAuth(keyward))
		app.addHook('preHandler', requireScopes('a'))
		app.register(keywardAuth, { keyward, optional: true })
		app.get<{ Params: { id: string } }>(
			'/:id',
			{ onRequest: apiKeyAuth(keyward), preHandler: [requireScopes('read')] },
			async (request) => {
				expectTypeOf(request.params.id).toEqualTypeOf<string>()
				return request.apiKey?.owner
			},
		)
	})
})
