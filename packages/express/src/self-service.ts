import {
	createKeyManager,
	KEY_MANAGEMENT_ROUTES,
	type KeyManagementPolicy,
	KeyManagementRefusal,
	type Keyward,
} from '@keyward/core'
import express, {
	type NextFunction,
	type Request,
	type RequestHandler,
	type Response,
	type Router,
} from 'express'

/** Options of {@link keyManagementRouter}: the policy of `@keyward/core`'s key manager, for Express requests. */
export interface KeyManagementOptions extends KeyManagementPolicy<Request> {}

/** Errors of the JSON body parser, by status. */
const BODY_ERRORS: Record<number, [code: string, detail: string]> = {
	400: ['invalid_json', 'Request body is not valid JSON'],
	413: ['payload_too_large', 'Request body too large'],
	415: ['unsupported_media_type', 'Unsupported body encoding'],
}

function send(res: Response, status: number, body: unknown): void {
	res.status(status).set('Cache-Control', 'no-store').json(body)
}

/** The JSON object `express.json()` parsed, `{}` without a body. */
function body(req: Request): Record<string, unknown> {
	const value: unknown = req.body
	if (value === undefined) {
		const length = req.headers['content-length']
		const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
		if (hasBody)
			throw new KeyManagementRefusal(415, 'unsupported_media_type', 'Send the body as application/json')
		return {}
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value))
		throw new KeyManagementRefusal(400, 'invalid_argument', 'The body must be a JSON object')
	return value as Record<string, unknown>
}

/**
 * Self-service key management for the host application's own users, as an Express router:
 * `POST /keys` (the key is in this response only), `GET /keys`, `GET /keys/:id`,
 * `POST /keys/:id/revoke`, `POST /keys/:id/rotate`, `DELETE /keys/:id`, `POST /keys/revoke-all`.
 * A caller sees and touches only keys it owns (another owner's key is 404), grants only scopes
 * it holds (403), and gets JSON `{ detail, code }` errors. Management calls run inside
 * `withAuditContext`, so an attached audit sink records the actor and the client IP.
 * @param keyward - the keyward whose keys are managed
 * @param options - see {@link KeyManagementOptions}
 * @example
 * app.use('/account', keyManagementRouter(keyward, { owner: (req) => req.session?.userId, allowedScopes: ['read:*'] }))
 */
export function keyManagementRouter(keyward: Keyward, options: Readonly<KeyManagementOptions>): Router {
	const manager = createKeyManager(keyward, options, { name: 'keyManagementRouter', request: 'req' })
	const router = express.Router()
	router.use(express.json({ limit: '16kb', strict: false, type: ['application/json', 'application/*+json'] }))
	for (const { method, path, operation } of KEY_MANAGEMENT_ROUTES) {
		const handler: RequestHandler = async function keyManagementRoute(req, res, next) {
			try {
				const [status, payload] = await manager.handle({
					request: req,
					operation,
					id: String(req.params.id ?? ''),
					source: req.ip,
					body: () => body(req),
				})
				send(res, status, payload)
			} catch (error) {
				next(error)
			}
		}
		router.route(path)[method.toLowerCase() as 'get' | 'post' | 'delete'](handler)
	}
	router.use(function keyManagementErrors(error: unknown, _req: Request, res: Response, next: NextFunction) {
		// Errors of the JSON body parser (they carry a `type`): bad JSON, too large, bad charset.
		const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown }
		const known = typeof type === 'string' && typeof status === 'number' ? BODY_ERRORS[status] : undefined
		if (known === undefined) return next(error)
		send(res, status as number, { detail: known[1], code: known[0] })
	})
	return router
}
