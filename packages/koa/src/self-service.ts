import { type Keyward, KeywardError } from '@keyward/core'
import { readKeyManagementBody } from '@keyward/core/adapter'
import {
	createKeyManager,
	describeKeyManagementApi,
	KEY_MANAGEMENT_ROUTES,
	type KeyManagementApiOptions,
	type KeyManagementOperation,
	type KeyManagementPolicy,
	resolveOpenApiOption,
} from '@keyward/core/management'
import type { Context, Middleware } from 'koa'

/** Options of {@link keyManagementRouter}: the policy of `@keyward/core`'s key manager, for Koa contexts. */
export interface KeyManagementOptions extends KeyManagementPolicy<Context> {
	/** Path the routes live under, e.g. `'/account'` for `/account/keys`. @defaultValue '' */
	prefix?: string | undefined
	/**
	 * Serve the OpenAPI 3.1 document of the routes at `GET <prefix>/openapi.json` (its server URL is
	 * `prefix`); an object sets its `title` and `version`, `false` turns it off. @defaultValue true
	 */
	openApi?: boolean | Pick<KeyManagementApiOptions, 'title' | 'version'> | undefined
}

/** Each path of {@link KEY_MANAGEMENT_ROUTES} once, as a pattern (`:id` is one segment), in the table's order. */
const PATHS = [...new Set(KEY_MANAGEMENT_ROUTES.map((route) => route.path))].map((path) => ({
	path,
	pattern: new RegExp(`^${path.replace(':id', '([^/]+)')}/?$`),
}))
/** Operations by `METHOD path`, the path as in {@link KEY_MANAGEMENT_ROUTES}. */
const OPERATIONS = new Map<string, KeyManagementOperation>(
	KEY_MANAGEMENT_ROUTES.map(({ method, path, operation }) => [`${method} ${path}`, operation]),
)

/** The route `path` (after the prefix) takes: the first path of the table it matches, and its `:id`. */
function routeOf(path: string): { path: string; id: string } | undefined {
	for (const route of PATHS) {
		const match = route.pattern.exec(path)
		if (match !== null) return { path: route.path, id: match[1] ?? '' }
	}
	return undefined
}

/** Set status and JSON body directly; never `ctx.throw`, whose handler renders text. */
function send(ctx: Context, status: number, body: unknown): void {
	ctx.status = status
	ctx.set('Cache-Control', 'no-store')
	// The rest of a too-large body was never read: the connection cannot carry another request.
	if (status === 413) ctx.set('Connection', 'close')
	ctx.body = body
}

/**
 * Self-service key management for the host application's own users, as Koa middleware under
 * `prefix`: `POST /keys` (the key is in this response only), `GET /keys`, `GET /keys/:id`,
 * `POST /keys/:id/revoke`, `POST /keys/:id/rotate`, `DELETE /keys/:id`, `POST /keys/revoke-all`,
 * and the usage history of a key (`GET /keys/:id/history?days=30`) or of all the caller's keys
 * (`GET /history?days=30`), by UTC day, up to 90 days; other requests go to `next()`. A caller sees and touches only keys it owns (another owner's
 * key is 404), grants only scopes it holds (403), and gets JSON `{ detail, code }` errors.
 * Requests that change keys must be JSON (`DELETE` aside) and come from a page of this origin or
 * of `trustedOrigins` (403 `cross_origin` otherwise), which stops cross-site request forgery
 * against cookie sign-ins. Management calls run inside `withAuditContext`, so the audit trail
 * records the actor and the client IP. A JSON body parsed by the host (`ctx.request.body`) is
 * used when present; otherwise at most 16 KiB is read.
 * @param keyward - the keyward whose keys are managed
 * @param options - see {@link KeyManagementOptions}
 * @example
 * app.use(keyManagementRouter(keyward, { prefix: '/account', owner: (ctx) => ctx.state.user?.id }))
 */
export function keyManagementRouter(keyward: Keyward, options: Readonly<KeyManagementOptions>): Middleware {
	const manager = createKeyManager(keyward, options, {
		name: 'keyManagementRouter',
		request: 'ctx',
		options: ['prefix', 'openApi'],
	})
	const prefix = options.prefix ?? ''
	if (typeof prefix !== 'string' || !/^(?:\/[^/?#\s]+)*$/.test(prefix)) {
		throw new KeywardError('invalid_option', 'prefix must be "" or a path such as "/account"')
	}
	const openApi = resolveOpenApiOption(options.openApi)
	const document =
		openApi === false
			? undefined
			: JSON.stringify(describeKeyManagementApi({ ...openApi, mount: prefix || '/' }))

	return async function keyManagementMiddleware(ctx, next) {
		if (document !== undefined && ctx.method === 'GET' && ctx.path === `${prefix}/openapi.json`) {
			ctx.status = 200
			ctx.type = 'application/json'
			ctx.set('Cache-Control', 'no-cache')
			ctx.body = document
			return
		}
		const route = ctx.path.startsWith(prefix) ? routeOf(ctx.path.slice(prefix.length)) : undefined
		const operation = route === undefined ? undefined : OPERATIONS.get(`${ctx.method} ${route.path}`)
		if (route === undefined || operation === undefined) return next()
		const [status, payload] = await manager.handle({
			request: ctx,
			operation,
			headers: ctx.req.headers,
			// Not `ctx.origin`: in Koa 3 that is the request's Origin header, the very thing checked.
			origin: `${ctx.protocol}://${ctx.host}`,
			id: route.id,
			source: ctx.ip,
			url: ctx.originalUrl,
			body: () => readKeyManagementBody(ctx.req, (ctx.request as { body?: unknown }).body),
		})
		send(ctx, status, payload)
	}
}
