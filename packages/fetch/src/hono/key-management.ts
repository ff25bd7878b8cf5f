import type { Keyward } from '@keyward/core'
import { KeywardError } from '@keyward/core'
import { type BodySource, mediaTypeOf, readKeyManagementBodyFrom } from '@keyward/core/adapter'
import {
	createKeyManager,
	describeKeyManagementApi,
	KEY_MANAGEMENT_ROUTES,
	type KeyManagementApiOptions,
	type KeyManagementPolicy,
	resolveOpenApiOption,
} from '@keyward/core/management'
import { type Context, Hono } from 'hono'
import { webBodySource } from '../request-body.js'
import { RequestView } from '../request-view.js'
import { type ClientOf, socketAddress } from './hono-request.js'

/**
 * The body of a key-management call: the one Hono already read for the host (through
 * `c.req.json()`, a validator...) when there is one, else the request's stream, at most the limit.
 */
function bodySource(c: Context, view: RequestView): BodySource {
	if (Object.keys(c.req.bodyCache).length === 0) return webBodySource(view)
	return {
		hasBody: true,
		mediaType: mediaTypeOf(view),
		consumed: false,
		async read(limit) {
			try {
				const text = await c.req.text()
				return new TextEncoder().encode(text).byteLength > limit
					? { ok: false, reason: 'too_large' }
					: { ok: true, text }
			} catch {
				return { ok: false, reason: 'aborted' }
			}
		},
	}
}

/** Options of {@link keyManagementApp}: the policy of `@keyward/core`'s key manager, for Hono contexts. */
export interface KeyManagementOptions extends KeyManagementPolicy<Context> {
	/**
	 * The client address recorded in audit entries.
	 * @defaultValue the socket's peer address on `@hono/node-server`, else none
	 */
	client?: ClientOf | undefined
	/**
	 * Serve the OpenAPI 3.1 document of the routes at `GET <mount>/openapi.json` (its server URL is
	 * where the app is mounted); an object sets its `title` and `version`, `false` turns it off.
	 * @defaultValue true
	 */
	openApi?: boolean | Pick<KeyManagementApiOptions, 'title' | 'version'> | undefined
}

const OPENAPI_PATH = '/openapi.json'

/**
 * Self-service key management for the host application's own users, as a Hono app to mount
 * with `app.route(prefix, ...)`: `POST /keys` (the key is in this response only), `GET /keys`,
 * `GET /keys/:id`, `POST /keys/:id/revoke`, `POST /keys/:id/rotate`, `DELETE /keys/:id`,
 * `POST /keys/revoke-all`. A caller sees and touches only keys it owns (another owner's key is
 * 404), grants only scopes it holds (403), and gets JSON `{ detail, code }` errors. Requests that
 * change keys must be JSON (`DELETE` aside) and come from a page of this origin or of
 * `trustedOrigins` (403 `cross_origin` otherwise), which stops cross-site request forgery against
 * cookie sign-ins. Management calls run inside `withAuditContext`, so the audit trail records the
 * actor and the client. Bodies are read here, at most 16 KiB (413 with `Connection: close` past
 * that), or taken from Hono's cache when the host read them already (`c.req.json()`, a
 * validator); errors of `owner()` go to the host's `onError`.
 * @param keyward - the keyward whose keys are managed
 * @param options - see {@link KeyManagementOptions}
 * @example
 * app.route('/account', keyManagementApp(keyward, { owner: (c) => c.get('user')?.id, allowedScopes: ['read:*'] }))
 */
export function keyManagementApp(keyward: Keyward, options: Readonly<KeyManagementOptions>): Hono {
	const manager = createKeyManager(keyward, options, {
		name: 'keyManagementApp',
		request: 'c',
		options: ['client', 'openApi'],
	})
	const openApi = resolveOpenApiOption(options.openApi)
	const client = options.client ?? socketAddress
	if (typeof client !== 'function') throw new KeywardError('invalid_option', 'client must be a function')
	const app = new Hono()
	if (openApi !== false) {
		// One document per mount point (from the route Hono matched); an app is seldom mounted twice.
		const documents = new Map<string, string>()
		app.get(OPENAPI_PATH, function keyManagementOpenApi(c) {
			const mount = c.req.routePath.slice(0, -OPENAPI_PATH.length) || '/'
			let document = documents.get(mount)
			if (document === undefined) {
				document = JSON.stringify(describeKeyManagementApi({ ...openApi, mount }))
				if (documents.size < 16) documents.set(mount, document)
			}
			return c.body(document, 200, { 'content-type': 'application/json', 'cache-control': 'no-cache' })
		})
	}
	for (const { method, path, operation } of KEY_MANAGEMENT_ROUTES) {
		app.on(method, path, async function keyManagementRoute(c) {
			const view = new RequestView(c.req.raw)
			const [status, payload] = await manager.handle({
				request: c,
				operation,
				headers: view.headers,
				origin: new URL(view.url).origin,
				id: c.req.param('id') ?? '',
				source: client(c),
				url: c.req.url,
				body: () => readKeyManagementBodyFrom(bodySource(c, view), undefined),
			})
			// The rest of a too-large body was never read: the connection cannot carry another request.
			const close = status === 413 ? { connection: 'close' } : {}
			return c.json(payload, status as 200, { 'cache-control': 'no-store', ...close })
		})
	}
	return app
}
