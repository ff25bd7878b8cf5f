import type { IncomingMessage } from 'node:http'
import {
	createKeyManager,
	KEY_MANAGEMENT_ROUTES,
	type KeyManagementOperation,
	type KeyManagementPolicy,
	KeyManagementRefusal,
	type Keyward,
	KeywardError,
} from '@keyward/core'
import type { Context, Middleware } from 'koa'

/** Options of {@link keyManagementRouter}: the policy of `@keyward/core`'s key manager, for Koa contexts. */
export interface KeyManagementOptions extends KeyManagementPolicy<Context> {
	/** Path the routes live under, e.g. `'/account'` for `/account/keys`. @defaultValue '' */
	prefix?: string | undefined
}

/** Largest request body read. */
const BODY_LIMIT = 16_384
const ROUTE = /^\/keys(?:\/([^/]+))?(?:\/(revoke|rotate))?\/?$/
/** Operations by `METHOD path`, the path as in {@link KEY_MANAGEMENT_ROUTES}. */
const OPERATIONS = new Map<string, KeyManagementOperation>(
	KEY_MANAGEMENT_ROUTES.map(({ method, path, operation }) => [`${method} ${path}`, operation]),
)
const refuse = (status: number, code: string, detail: string) =>
	new KeyManagementRefusal(status, code, detail)

/** Set status and JSON body directly; never `ctx.throw`, whose handler renders text. */
function send(ctx: Context, status: number, body: unknown): void {
	ctx.status = status
	ctx.set('Cache-Control', 'no-store')
	ctx.body = body
}

/** The raw body as text, at most {@link BODY_LIMIT} bytes; `null` when larger or cut off. */
function readText(req: IncomingMessage): Promise<string | null> {
	return new Promise((resolve) => {
		const chunks: Buffer[] = []
		let size = 0
		req.on('data', (chunk: Buffer) => {
			size += chunk.length
			// Past the limit the rest is drained, not kept, so the connection stays usable.
			if (size <= BODY_LIMIT) chunks.push(chunk)
		})
		req.on('end', () => resolve(size > BODY_LIMIT ? null : Buffer.concat(chunks).toString('utf8')))
		req.on('error', () => resolve(null))
		req.on('close', () => resolve(null))
	})
}

/** The JSON object body: one a host's body parser left in `ctx.request.body`, else read here; `{}` without a body. */
async function body(ctx: Context): Promise<Record<string, unknown>> {
	let value = (ctx.request as { body?: unknown }).body
	if (value === undefined) {
		const req = ctx.req
		const length = req.headers['content-length']
		if (req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) return {}
		if (!ctx.request.is('application/json', '+json'))
			throw refuse(415, 'unsupported_media_type', 'Send the body as application/json')
		if (Number(length) > BODY_LIMIT) {
			ctx.set('Connection', 'close')
			throw refuse(413, 'payload_too_large', 'Request body too large')
		}
		// Something read the stream without leaving a parsed body: what was sent is unknown.
		if (req.readableEnded)
			throw refuse(400, 'invalid_argument', 'The request body was already read by another middleware')
		const text = await readText(req)
		if (text === null) throw refuse(413, 'payload_too_large', 'Request body too large')
		try {
			value = JSON.parse(text)
		} catch {
			throw refuse(400, 'invalid_json', 'Request body is not valid JSON')
		}
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value))
		throw refuse(400, 'invalid_argument', 'The body must be a JSON object')
	return value as Record<string, unknown>
}

/**
 * Self-service key management for the host application's own users, as Koa middleware under
 * `prefix`: `POST /keys` (the key is in this response only), `GET /keys`, `GET /keys/:id`,
 * `POST /keys/:id/revoke`, `POST /keys/:id/rotate`, `DELETE /keys/:id`, `POST /keys/revoke-all`;
 * other requests go to `next()`. A caller sees and touches only keys it owns (another owner's
 * key is 404), grants only scopes it holds (403), and gets JSON `{ detail, code }` errors.
 * Management calls run inside `withAuditContext`, so an attached audit sink records the actor
 * and the client IP. A JSON body parsed by the host (`ctx.request.body`) is used when present.
 * @param keyward - the keyward whose keys are managed
 * @param options - see {@link KeyManagementOptions}
 * @example
 * app.use(keyManagementRouter(keyward, { prefix: '/account', owner: (ctx) => ctx.state.user?.id }))
 */
export function keyManagementRouter(keyward: Keyward, options: Readonly<KeyManagementOptions>): Middleware {
	const manager = createKeyManager(keyward, options, {
		name: 'keyManagementRouter',
		request: 'ctx',
		options: ['prefix'],
	})
	const prefix = options.prefix ?? ''
	if (typeof prefix !== 'string' || !/^(?:\/[^/?#\s]+)*$/.test(prefix)) {
		throw new KeywardError('invalid_option', 'prefix must be "" or a path such as "/account"')
	}

	return async function keyManagementMiddleware(ctx, next) {
		const match = ctx.path.startsWith(prefix) ? ROUTE.exec(ctx.path.slice(prefix.length)) : null
		const [, id, action] = match ?? []
		const path =
			id === undefined
				? '/keys'
				: id === 'revoke-all' && action === undefined
					? '/keys/revoke-all'
					: `/keys/:id${action === undefined ? '' : `/${action}`}`
		const operation = match === null ? undefined : OPERATIONS.get(`${ctx.method} ${path}`)
		if (operation === undefined) return next()
		const [status, payload] = await manager.handle({
			request: ctx,
			operation,
			id: id ?? '',
			source: ctx.ip,
			body: () => body(ctx),
		})
		send(ctx, status, payload)
	}
}
