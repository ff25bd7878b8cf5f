import type { Keyward } from '@keyward/core'
import { readKeyManagementBody } from '@keyward/core/adapter'
import {
	createKeyManager,
	describeKeyManagementApi,
	KEY_MANAGEMENT_ROUTES,
	type KeyManagementApiOptions,
	type KeyManagementPolicy,
	type KeyManager,
	resolveOpenApiOption,
} from '@keyward/core/management'
import type { FastifyPluginCallback, FastifyRequest } from 'fastify'

/**
 * Options of {@link keyManagementRoutes}: the keyward whose keys are managed and the policy of
 * `@keyward/core`'s key manager, for Fastify requests. Fastify's `prefix` places the routes.
 */
export interface KeyManagementOptions extends KeyManagementPolicy<FastifyRequest> {
	/** The keyward whose keys are managed. */
	keyward: Keyward
	/**
	 * Serve the OpenAPI 3.1 document of the routes at `GET <prefix>/openapi.json` (its server URL is
	 * the prefix); an object sets its `title` and `version`, `false` turns it off. @defaultValue true
	 */
	openApi?: boolean | Pick<KeyManagementApiOptions, 'title' | 'version'> | undefined
}

/** Register options Fastify hands to every plugin, besides ours. */
const FASTIFY_OPTIONS = ['prefix', 'logLevel', 'logSerializers', 'openApi']

/**
 * Self-service key management for the host application's own users, as an encapsulated Fastify
 * plugin: `POST /keys` (the key is in this response only), `GET /keys`, `GET /keys/:id`,
 * `POST /keys/:id/revoke`, `POST /keys/:id/rotate`, `DELETE /keys/:id`, `POST /keys/revoke-all`,
 * under the `prefix` it is registered with. A caller sees and touches only keys it owns (another
 * owner's key is 404), grants only scopes it holds (403), and gets JSON `{ detail, code }` errors.
 * Requests that change keys must be JSON (`DELETE` aside) and come from a page of this origin or
 * of `trustedOrigins` (403 `cross_origin` otherwise), which stops cross-site request forgery
 * against cookie sign-ins. Management calls run inside `withAuditContext`, so the audit trail
 * records the actor and the client IP.
 *
 * The plugin replaces Fastify's body parsers in its own context: the routes read at most 16 KiB of
 * JSON themselves and answer bad bodies with the codes every keyward adapter uses (400, 413 with
 * `Connection: close`, 415). Errors of `owner()` go to the host's error handler.
 * @example
 * await app.register(keyManagementRoutes, { prefix: '/account', keyward, owner: (request) => request.user?.id })
 */
export const keyManagementRoutes: FastifyPluginCallback<KeyManagementOptions> = (instance, options, done) => {
	const { keyward, ...policy } = options
	let manager: KeyManager<FastifyRequest>
	let openApi: ReturnType<typeof resolveOpenApiOption>
	try {
		manager = createKeyManager(keyward, policy, {
			name: 'keyManagementRoutes',
			request: 'request',
			options: FASTIFY_OPTIONS,
		})
		openApi = resolveOpenApiOption(options.openApi)
	} catch (error) {
		// Fastify fails `ready()` with it; a throw here would escape its plugin loader.
		return done(error as Error)
	}
	// Bodies are left unread for the routes, which read them only for the operations that take one.
	instance.removeAllContentTypeParsers()
	instance.addContentTypeParser('*', (_request, _payload, next) => next(null, undefined))
	if (openApi !== false) {
		const document = JSON.stringify(describeKeyManagementApi({ ...openApi, mount: instance.prefix || '/' }))
		instance.get('/openapi.json', async (_request, reply) =>
			reply.code(200).type('application/json').header('cache-control', 'no-cache').send(document),
		)
	}
	for (const { method, path, operation } of KEY_MANAGEMENT_ROUTES) {
		instance.route<{ Params: { id?: string } }>({
			method,
			url: path,
			async handler(request, reply) {
				const [status, payload] = await manager.handle({
					request,
					operation,
					headers: request.headers,
					origin: `${request.protocol}://${request.host}`,
					id: request.params.id ?? '',
					source: request.ip,
					url: request.url,
					body: () => readKeyManagementBody(request.raw, undefined),
				})
				reply.code(status).header('cache-control', 'no-store')
				// The rest of a too-large body was never read: the connection cannot carry another request.
				if (status === 413) reply.header('connection', 'close')
				return reply.send(payload)
			},
		})
	}
	done()
}
