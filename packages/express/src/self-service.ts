import type { Keyward } from '@keyward/core'
import { readKeyManagementBody } from '@keyward/core/adapter'
import {
	createKeyManager,
	describeKeyManagementApi,
	KEY_MANAGEMENT_ROUTES,
	type KeyManagementApiOptions,
	type KeyManagementPolicy,
	resolveOpenApiOption,
} from '@keyward/core/management'
import express, { type RequestHandler, type Response, type Router } from 'express'

/** Options of {@link keyManagementRouter}: the policy of `@keyward/core`'s key manager, for Express requests. */
export interface KeyManagementOptions extends KeyManagementPolicy<express.Request> {
	/**
	 * Serve the OpenAPI 3.1 document of the routes at `GET <mount>/openapi.json` (its server URL is
	 * where the router is mounted); an object sets its `title` and `version`, `false` turns it off.
	 * @defaultValue true
	 */
	openApi?: boolean | Pick<KeyManagementApiOptions, 'title' | 'version'> | undefined
}

function send(res: Response, status: number, body: unknown): void {
	res.status(status).set('Cache-Control', 'no-store')
	// The rest of a too-large body was never read: the connection cannot carry another request.
	if (status === 413) res.set('Connection', 'close')
	res.json(body)
}

/**
 * Self-service key management for the host application's own users, as an Express router:
 * `POST /keys` (the key is in this response only), `GET /keys`, `GET /keys/:id`,
 * `POST /keys/:id/revoke`, `POST /keys/:id/rotate`, `DELETE /keys/:id`, `POST /keys/revoke-all`,
 * and the usage history of a key (`GET /keys/:id/history?days=30`) or of all the caller's keys
 * (`GET /history?days=30`), by UTC day, up to 90 days. A caller sees and touches only keys it owns (another owner's key is 404), grants only scopes
 * it holds (403), and gets JSON `{ detail, code }` errors. Requests that change keys must be
 * JSON (`DELETE` aside) and come from a page of this origin or of `trustedOrigins` (403
 * `cross_origin` otherwise), which stops cross-site request forgery against cookie sign-ins.
 * Management calls run inside `withAuditContext`, so the audit trail records the actor and the
 * client IP. A JSON body parsed by the host (`req.body`) is used when present; otherwise at most
 * 16 KiB is read.
 * @param keyward - the keyward whose keys are managed
 * @param options - see {@link KeyManagementOptions}
 * @example
 * app.use('/account', keyManagementRouter(keyward, { owner: (req) => req.session?.userId, allowedScopes: ['read:*'] }))
 */
export function keyManagementRouter(keyward: Keyward, options: Readonly<KeyManagementOptions>): Router {
	const manager = createKeyManager(keyward, options, {
		name: 'keyManagementRouter',
		request: 'req',
		options: ['openApi'],
	})
	const router = express.Router()
	const openApi = resolveOpenApiOption(options.openApi)
	if (openApi !== false) {
		// One document per mount point; a router is seldom mounted at more than one.
		const documents = new Map<string, string>()
		router.get('/openapi.json', function keyManagementOpenApi(req, res) {
			const mount = req.baseUrl === '' ? '/' : req.baseUrl
			let document = documents.get(mount)
			if (document === undefined) {
				document = JSON.stringify(describeKeyManagementApi({ ...openApi, mount }))
				if (documents.size < 16) documents.set(mount, document)
			}
			res.status(200).type('application/json').set('Cache-Control', 'no-cache').send(document)
		})
	}
	for (const { method, path, operation } of KEY_MANAGEMENT_ROUTES) {
		const handler: RequestHandler = async function keyManagementRoute(req, res, next) {
			try {
				const [status, payload] = await manager.handle({
					request: req,
					operation,
					headers: req.headers,
					origin: `${req.protocol}://${req.get('host') ?? ''}`,
					id: String(req.params.id ?? ''),
					source: req.ip,
					url: req.originalUrl,
					body: () => readKeyManagementBody(req, req.body),
				})
				send(res, status, payload)
			} catch (error) {
				next(error)
			}
		}
		router.route(path)[method.toLowerCase() as 'get' | 'post' | 'delete'](handler)
	}
	return router
}
