import {
	type CreateKeyInput,
	isKeywardError,
	type KeyInfo,
	type Keyward,
	KeywardError,
	type KeywardErrorCode,
	rejectUnknownOptions,
	resolveScopes,
	SCOPE_PATTERN,
	scopeGrants,
	withAuditContext,
} from '@keyward/core'
import express, { type NextFunction, type Request, type Response, type Router } from 'express'

/** Options of {@link keyManagementRouter}. */
export interface KeyManagementOptions {
	/**
	 * Who is calling, from the host's own authentication (a session, a login token): the owner of
	 * the keys this caller manages. `undefined`, `null` or `''` answers 401. A throw goes to
	 * Express's error handling.
	 */
	owner: (req: Request) => string | null | undefined | Promise<string | null | undefined>
	/**
	 * Scopes the caller holds and so may grant (`read:*` covers `read:users`). A key never gets a
	 * scope beyond these, at creation or rotation. @defaultValue [] (keys without scopes only)
	 */
	allowedScopes?:
		| readonly string[]
		| ((req: Request, owner: string) => readonly string[] | Promise<readonly string[]>)
		| undefined
	/** Longest lifetime a caller may ask for; keys that never expire are refused. @defaultValue no limit */
	maxLifetimeMs?: number | undefined
	/** Lifetime of keys created without `expiresIn`. @defaultValue `maxLifetimeMs`, else the keyward's policy */
	defaultLifetimeMs?: number | undefined
	/** Highest monthly quota a caller may ask for; unlimited keys are refused. @defaultValue no limit */
	maxQuota?: number | undefined
	/** Most active (unrevoked, unexpired) keys an owner may hold. @defaultValue 100 */
	maxKeys?: number | undefined
	/** Actor recorded in audit entries. @defaultValue the owner */
	actor?: ((req: Request, owner: string) => string | undefined) | undefined
}

/** A refusal answered as `{ detail, code }`. */
class Refusal extends Error {
	readonly status: number
	readonly code: string
	constructor(status: number, code: string, detail: string) {
		super(detail)
		this.status = status
		this.code = code
	}
}

const KNOWN_OPTIONS = 'owner allowedScopes maxLifetimeMs defaultLifetimeMs maxQuota maxKeys actor'.split(' ')
const CREATE_FIELDS = ['name', 'note', 'scopes', 'expiresIn', 'monthlyQuota', 'metadata']
const ID = /^[0-9A-Za-z]{1,64}$/
const DURATION = /^(\d{1,13})(ms|s|m|h|d|w)$/
const UNIT_MS: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 }
/** Longest lifetime or grace accepted at all: 100 years (later instants overflow a `Date`). */
const MAX_MS = 3_155_760_000_000
/** Management errors a caller can cause (core's messages are fixed text), by HTTP status. */
const STATUS_OF: Partial<Record<KeywardErrorCode, number>> = {
	key_not_found: 404,
	invalid_argument: 400,
	store_unavailable: 503,
}
const BODY_ERRORS: Record<number, [code: string, detail: string]> = {
	400: ['invalid_json', 'Request body is not valid JSON'],
	413: ['payload_too_large', 'Request body too large'],
	415: ['unsupported_media_type', 'Unsupported body encoding'],
}
const notFound = () => new Refusal(404, 'key_not_found', 'No such key')
const invalid = (detail: string) => new Refusal(400, 'invalid_argument', detail)

function limit(value: unknown, name: string, min: number): number | undefined {
	if (value === undefined) return undefined
	if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
		throw new KeywardError('invalid_option', `${name} must be an integer of at least ${min}`)
	}
	return value
}

/** `expiresIn` as milliseconds (a number, or text such as `"30d"`); `null` asks for no expiry. */
function lifetimeOf(value: unknown): number | null | undefined {
	if (value === undefined || value === null) return value
	const match = typeof value === 'string' ? DURATION.exec(value) : null
	const ms = match === null ? value : Number(match[1]) * (UNIT_MS[match[2] as string] as number)
	if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms <= 0 || ms > MAX_MS) {
		throw invalid(
			'expiresIn must be a positive number of milliseconds or a duration such as "30d" (at most 100 years)',
		)
	}
	return ms
}

function onlyFields(fields: Record<string, unknown>, known: readonly string[]): void {
	for (const name of Object.keys(fields))
		if (!known.includes(name)) throw invalid(`Unknown field "${name.slice(0, 40)}"`)
}

function isActive(info: KeyInfo, nowMs: number): boolean {
	return info.revokedAt === null && (info.expiresAt === null || info.expiresAt.getTime() > nowMs)
}

function checkScopesAllowed(scopes: readonly string[], allowed: readonly string[]): void {
	if (!scopes.every((scope) => allowed.some((have) => scopeGrants(have, scope)))) {
		throw new Refusal(403, 'scope_not_allowed', 'A requested scope is beyond what you may grant')
	}
}

function send(res: Response, status: number, body: unknown): void {
	res.status(status).set('Cache-Control', 'no-store').json(body)
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
	if (typeof keyward?.createKey !== 'function') {
		throw new KeywardError('invalid_argument', 'keyManagementRouter expects a keyward from createKeyward()')
	}
	if (typeof options !== 'object' || options === null || typeof options.owner !== 'function') {
		throw new KeywardError('invalid_option', 'keyManagementRouter needs an owner(req) function')
	}
	rejectUnknownOptions(options, KNOWN_OPTIONS, 'keyManagementRouter options')
	const { owner: ownerOf, actor } = options
	const allowedOption = options.allowedScopes ?? []
	const fixedScopes =
		typeof allowedOption === 'function' ? undefined : resolveScopes(allowedOption, 'allowedScopes')
	const maxLifetimeMs = limit(options.maxLifetimeMs, 'maxLifetimeMs', 1)
	const defaultLifetimeMs = limit(options.defaultLifetimeMs, 'defaultLifetimeMs', 1) ?? maxLifetimeMs
	const maxQuota = limit(options.maxQuota, 'maxQuota', 0)
	const maxKeys = limit(options.maxKeys, 'maxKeys', 1) ?? 100
	if (actor !== undefined && typeof actor !== 'function')
		throw new KeywardError('invalid_option', 'actor must be a function')
	if (maxLifetimeMs !== undefined && defaultLifetimeMs !== undefined && defaultLifetimeMs > maxLifetimeMs) {
		throw new KeywardError('invalid_option', 'defaultLifetimeMs must not exceed maxLifetimeMs')
	}

	async function allowedFor(req: Request, owner: string): Promise<readonly string[]> {
		if (fixedScopes !== undefined) return fixedScopes
		return resolveScopes(
			await (allowedOption as Exclude<typeof allowedOption, readonly string[]>)(req, owner),
			'allowedScopes()',
		)
	}

	function body(req: Request): Record<string, unknown> {
		const value: unknown = req.body
		if (value === undefined) {
			const length = req.headers['content-length']
			const hasBody =
				req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
			if (hasBody) throw new Refusal(415, 'unsupported_media_type', 'Send the body as application/json')
			return {}
		}
		if (typeof value !== 'object' || value === null || Array.isArray(value))
			throw invalid('The body must be a JSON object')
		return value as Record<string, unknown>
	}

	function createInput(
		fields: Record<string, unknown>,
		allowed: readonly string[],
	): Omit<CreateKeyInput, 'owner'> {
		onlyFields(fields, CREATE_FIELDS)
		const scopes = fields.scopes ?? []
		if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && SCOPE_PATTERN.test(s))) {
			throw invalid('scopes must be an array of scope strings')
		}
		checkScopesAllowed(scopes, allowed)
		const lifetime = lifetimeOf(fields.expiresIn) ?? (fields.expiresIn === null ? null : defaultLifetimeMs)
		if (
			maxLifetimeMs !== undefined &&
			(lifetime === null || lifetime === undefined || lifetime > maxLifetimeMs)
		) {
			throw new Refusal(403, 'lifetime_not_allowed', `Keys may live at most ${maxLifetimeMs} ms`)
		}
		const quota = fields.monthlyQuota === undefined ? (maxQuota ?? null) : fields.monthlyQuota
		if (maxQuota !== undefined && (quota === null || (typeof quota === 'number' && quota > maxQuota))) {
			throw new Refusal(403, 'quota_not_allowed', `The monthly quota may be at most ${maxQuota}`)
		}
		return {
			name: fields.name as string | null | undefined,
			note: fields.note as string | null | undefined,
			scopes,
			...(lifetime === null ? { expiresAt: null } : lifetime === undefined ? {} : { expiresIn: lifetime }),
			monthlyQuota: quota as number | null,
			metadata: fields.metadata as Record<string, unknown> | undefined,
		}
	}

	async function ownKey(owner: string, id: string): Promise<KeyInfo> {
		if (!ID.test(id)) throw notFound()
		const found = (await keyward.listKeys({ owner })).find((k) => k.id === id)
		if (found === undefined) throw notFound()
		return found
	}

	/** Authenticate the caller, run `work` in its audit context, and answer. */
	function route(work: (req: Request, owner: string) => Promise<[status: number, body: unknown]>) {
		return async function keyManagementRoute(req: Request, res: Response, next: NextFunction) {
			let owner: string | null | undefined
			try {
				owner = await ownerOf(req)
			} catch (error) {
				return next(error)
			}
			if (typeof owner !== 'string' || owner === '')
				return send(res, 401, { detail: 'Not authenticated', code: 'missing' })
			const who = owner
			try {
				const context = { actor: actor?.(req, who) || who, source: req.ip }
				const [status, payload] = await withAuditContext(context, () => work(req, who))
				send(res, status, payload)
			} catch (error) {
				if (error instanceof Refusal)
					return send(res, error.status, { detail: error.message, code: error.code })
				const status = isKeywardError(error) ? STATUS_OF[error.code] : undefined
				if (status === undefined) return next(error)
				const { message, code } = error as KeywardError
				send(res, status, { detail: message, code: code === 'store_unavailable' ? 'unavailable' : code })
			}
		}
	}

	const router = express.Router()
	router.use(express.json({ limit: '16kb', strict: false, type: ['application/json', 'application/*+json'] }))
	router.post(
		'/keys',
		route(async (req, owner) => {
			const input = createInput(body(req), await allowedFor(req, owner))
			const now = Date.now()
			const active = (await keyward.listKeys({ owner })).filter((k) => isActive(k, now))
			if (active.length >= maxKeys)
				throw new Refusal(403, 'too_many_keys', `You may hold at most ${maxKeys} active keys`)
			const { key, info } = await keyward.createKey({ ...input, owner })
			return [201, { key, info }]
		}),
	)
	router.get(
		'/keys',
		route(async (_req, owner) => [200, { keys: await keyward.listKeys({ owner }) }]),
	)
	router.post(
		'/keys/revoke-all',
		route(async (_req, owner) => [200, { revoked: await keyward.revokeAll(owner) }]),
	)
	router.get(
		'/keys/:id',
		route(async (req, owner) => [200, { info: await ownKey(owner, String(req.params.id)) }]),
	)
	router.post(
		'/keys/:id/revoke',
		route(async (req, owner) => {
			const found = await ownKey(owner, String(req.params.id))
			return [200, { info: await keyward.revokeKey(found.id) }]
		}),
	)
	router.delete(
		'/keys/:id',
		route(async (req, owner) => {
			const found = await ownKey(owner, String(req.params.id))
			return [200, { info: await keyward.deleteKey(found.id) }]
		}),
	)
	router.post(
		'/keys/:id/rotate',
		route(async (req, owner) => {
			const fields = body(req)
			onlyFields(fields, ['graceMs'])
			const graceMs = fields.graceMs ?? 0
			if (typeof graceMs !== 'number' || !Number.isSafeInteger(graceMs) || graceMs < 0 || graceMs > MAX_MS) {
				throw invalid('graceMs must be a non-negative integer of milliseconds (at most 100 years)')
			}
			const found = await ownKey(owner, String(req.params.id))
			if (!isActive(found, Date.now()))
				throw new Refusal(409, 'key_not_active', 'Only an active key can be rotated')
			checkScopesAllowed(found.scopes, await allowedFor(req, owner))
			const lifetime =
				found.expiresAt === null
					? Number.POSITIVE_INFINITY
					: found.expiresAt.getTime() - found.createdAt.getTime()
			if (maxLifetimeMs !== undefined && (lifetime > maxLifetimeMs || graceMs > maxLifetimeMs)) {
				throw new Refusal(403, 'lifetime_not_allowed', `Keys may live at most ${maxLifetimeMs} ms`)
			}
			const { key, info, previous } = await keyward.rotateKey(found.id, { graceMs })
			return [201, { key, info, previous }]
		}),
	)
	router.use(function keyManagementErrors(error: unknown, _req: Request, res: Response, next: NextFunction) {
		// Errors of the JSON body parser (they carry a `type`): bad JSON, too large, bad charset.
		const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown }
		const known = typeof type === 'string' && typeof status === 'number' ? BODY_ERRORS[status] : undefined
		if (known === undefined) return next(error)
		send(res, status as number, { detail: known[1], code: known[0] })
	})
	return router
}
