import { withAuditContext } from './audit.js'
import { isSameOriginRequest } from './cross-site.js'
import { isKeywardError, KeywardError, type KeywardErrorCode } from './errors.js'
import type { Keyward } from './keyward.js'
import type { CreateKeyInput } from './lifecycle.js'
import { rejectUnknownOptions, resolveScopes } from './options.js'
import { isJsonMediaType, mediaTypeOf } from './request-body.js'
import { SCOPE_PATTERN, scopeGrants } from './scopes.js'
import type { KeyInfo } from './types.js'

/**
 * What a self-service key manager enforces, shared by `keyManagementRouter` of
 * `@keyward/express` and `@keyward/koa`. `R` is the framework's request (`Request`, `Context`).
 */
export interface KeyManagementPolicy<R> {
	/**
	 * Who is calling, from the host's own authentication (a session, a login token): the owner of
	 * the keys this caller manages. `undefined`, `null` or `''` answers 401. A throw goes to the
	 * framework's error handling.
	 */
	owner: (request: R) => string | null | undefined | Promise<string | null | undefined>
	/**
	 * Scopes the caller holds and so may grant (`read:*` covers `read:users`). A key never gets a
	 * scope beyond these, at creation or rotation. @defaultValue [] (keys without scopes only)
	 */
	allowedScopes?:
		| readonly string[]
		| ((request: R, owner: string) => readonly string[] | Promise<readonly string[]>)
		| undefined
	/** Longest lifetime a caller may ask for; keys that never expire are refused. @defaultValue no limit */
	maxLifetimeMs?: number | undefined
	/** Lifetime of keys created without `expiresIn`. @defaultValue `maxLifetimeMs`, else the keyward's policy */
	defaultLifetimeMs?: number | undefined
	/** Highest monthly quota a caller may ask for; unlimited keys are refused. @defaultValue no limit */
	maxQuota?: number | undefined
	/**
	 * Most active keys an owner may hold (not revoked, not expired, not replaced by a rotation),
	 * checked atomically by the store. A key in a rotation's grace period does not count, and each
	 * key has at most one predecessor in grace, so an owner never holds more than twice this many
	 * working keys. @defaultValue 100
	 */
	maxKeys?: number | undefined
	/**
	 * Revoked and expired keys kept per owner: creating a key deletes older ones beyond this many
	 * (audited as `key.purged`), so an owner's listing stays small. @defaultValue 50
	 */
	maxInactiveKeys?: number | undefined
	/**
	 * Metadata fields a caller may set on its keys (the values are the caller's, up to 8 KiB of
	 * JSON). Metadata reaches `req.apiKey.metadata` and survives rotation, so nothing is allowed
	 * unless listed. @defaultValue [] (no metadata)
	 */
	allowedMetadata?: readonly string[] | undefined
	/**
	 * Origins, besides the router's own, whose pages may change keys (a front end on another host):
	 * `['https://app.example']`. Requests from other pages are refused (CSRF). @defaultValue []
	 */
	trustedOrigins?: readonly string[] | undefined
	/** Actor recorded in audit entries. @defaultValue the owner */
	actor?: ((request: R, owner: string) => string | undefined) | undefined
}

/** What a caller can ask a key manager to do. */
export type KeyManagementOperation = 'list' | 'create' | 'revokeAll' | 'get' | 'revoke' | 'delete' | 'rotate'

/** The routes of a key manager, relative to where it is mounted; `:id` is a key id. */
export const KEY_MANAGEMENT_ROUTES: readonly {
	readonly method: 'GET' | 'POST' | 'DELETE'
	readonly path: string
	readonly operation: KeyManagementOperation
}[] = Object.freeze([
	{ method: 'GET', path: '/keys', operation: 'list' },
	{ method: 'POST', path: '/keys', operation: 'create' },
	{ method: 'POST', path: '/keys/revoke-all', operation: 'revokeAll' },
	{ method: 'GET', path: '/keys/:id', operation: 'get' },
	{ method: 'POST', path: '/keys/:id/revoke', operation: 'revoke' },
	{ method: 'DELETE', path: '/keys/:id', operation: 'delete' },
	{ method: 'POST', path: '/keys/:id/rotate', operation: 'rotate' },
] as const)

/** A refusal a key manager answers as JSON `{ detail, code }` with `status`; adapters throw it for body errors. */
export class KeyManagementRefusal extends Error {
	readonly status: number
	readonly code: string
	constructor(status: number, code: string, detail: string) {
		super(detail)
		this.name = 'KeyManagementRefusal'
		this.status = status
		this.code = code
	}
}

/** One call to a key manager, as an adapter sees it. */
export interface KeyManagementCall<R> {
	readonly request: R
	readonly operation: KeyManagementOperation
	/** The request's headers (Node's `IncomingMessage.headers`). */
	readonly headers: Readonly<Record<string, string | string[] | undefined>>
	/** The origin the request was sent to, as the framework sees it (`https://app.example`). */
	readonly origin: string
	/** The `:id` of the route, `''` for routes without one. */
	readonly id: string
	/** Client address recorded in audit entries. */
	readonly source: string | undefined
	/** The JSON object body (`{}` when there is none); read only by operations that take one. */
	readonly body: () => Record<string, unknown> | Promise<Record<string, unknown>>
}

/** A self-service key manager, from {@link createKeyManager}. */
export interface KeyManager<R> {
	/**
	 * Authenticate the caller, run the operation in its audit context, and answer
	 * `[status, JSON body]`. Refusals and management errors a caller can cause are answers; a throw
	 * from `owner()` and unexpected errors are thrown for the framework to handle.
	 */
	handle(call: KeyManagementCall<R>): Promise<readonly [status: number, body: unknown]>
}

/** How an adapter names itself in option errors. */
export interface KeyManagerHost {
	/** `'keyManagementRouter'` */
	readonly name: string
	/** The request's parameter name in `owner(...)`: `'req'` or `'ctx'`. */
	readonly request: string
	/** Option names the adapter adds and checks itself. */
	readonly options?: readonly string[] | undefined
}

const POLICY_OPTIONS = [
	'owner',
	'allowedScopes',
	'maxLifetimeMs',
	'defaultLifetimeMs',
	'maxQuota',
	'maxKeys',
	'maxInactiveKeys',
	'allowedMetadata',
	'trustedOrigins',
	'actor',
]
/** Operations that change keys: they must come from this site, as JSON (or as a DELETE). */
const CHANGES: ReadonlySet<KeyManagementOperation> = new Set([
	'create',
	'revokeAll',
	'revoke',
	'delete',
	'rotate',
])
/** What a caller may send in the body of `POST /keys`. */
const CREATE_FIELDS = ['name', 'note', 'scopes', 'expiresIn', 'monthlyQuota', 'metadata']
const ID = /^[0-9A-Za-z]{1,64}$/
const ORIGIN = /^https?:\/\/[^/\s?#]+$/i
const DURATION = /^(\d{1,13})(ms|s|m|h|d|w)$/
const UNIT_MS: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 }
/** Longest lifetime or grace accepted at all: 100 years (later instants overflow a `Date`). */
const MAX_MS = 3_155_760_000_000
/** Management errors a caller can cause (core's messages are fixed text), by HTTP status. */
const STATUS_OF: Partial<Record<KeywardErrorCode, number>> = {
	key_not_found: 404,
	invalid_argument: 400,
	key_not_active: 409,
	store_unavailable: 503,
}
const notFound = () => new KeyManagementRefusal(404, 'key_not_found', 'No such key')
const invalid = (detail: string) => new KeyManagementRefusal(400, 'invalid_argument', detail)

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

function fail(message: string): never {
	throw new KeywardError('invalid_option', message)
}

/** An optional list of non-empty strings, validated; `[]` when absent. */
function textList(value: unknown, name: string): readonly string[] {
	if (value === undefined) return []
	if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.length > 0 && v.length <= 256))
		fail(`${name} must be an array of non-empty strings`)
	return Object.freeze([...(value as string[])])
}

function onlyFields(fields: Record<string, unknown>, known: readonly string[]): void {
	for (const name of Object.keys(fields))
		if (!known.includes(name)) throw invalid(`Unknown field "${name.slice(0, 40)}"`)
}

function checkScopesAllowed(scopes: readonly string[], allowed: readonly string[]): void {
	if (!scopes.every((scope) => allowed.some((have) => scopeGrants(have, scope)))) {
		throw new KeyManagementRefusal(403, 'scope_not_allowed', 'A requested scope is beyond what you may grant')
	}
}

/** The answer to a thrown error, or `undefined` when it is not one a caller caused. */
function answerTo(error: unknown): readonly [number, unknown] | undefined {
	if (error instanceof KeyManagementRefusal)
		return [error.status, { detail: error.message, code: error.code }]
	const status = isKeywardError(error) ? STATUS_OF[error.code] : undefined
	if (status === undefined) return undefined
	const { message, code } = error as KeywardError
	return [status, { detail: message, code: code === 'store_unavailable' ? 'unavailable' : code }]
}

/**
 * The framework-neutral half of `keyManagementRouter`: validates the policy at once (an invalid
 * option throws `KeywardError('invalid_option')`) and answers calls; adapters route, read the
 * body and send the answer.
 */
export function createKeyManager<R>(
	keyward: Keyward,
	options: Readonly<KeyManagementPolicy<R>>,
	host: KeyManagerHost,
): KeyManager<R> {
	if (typeof keyward?.createKey !== 'function') {
		throw new KeywardError('invalid_argument', `${host.name} expects a keyward from createKeyward()`)
	}
	if (typeof options !== 'object' || options === null || typeof options.owner !== 'function') {
		throw new KeywardError('invalid_option', `${host.name} needs an owner(${host.request}) function`)
	}
	rejectUnknownOptions(options, [...POLICY_OPTIONS, ...(host.options ?? [])], `${host.name} options`)
	const { owner: ownerOf, actor } = options
	const allowedOption = options.allowedScopes ?? []
	const fixedScopes =
		typeof allowedOption === 'function' ? undefined : resolveScopes(allowedOption, 'allowedScopes')
	const maxLifetimeMs = limit(options.maxLifetimeMs, 'maxLifetimeMs', 1)
	const defaultLifetimeMs = limit(options.defaultLifetimeMs, 'defaultLifetimeMs', 1) ?? maxLifetimeMs
	const maxQuota = limit(options.maxQuota, 'maxQuota', 0)
	const maxKeys = limit(options.maxKeys, 'maxKeys', 1) ?? 100
	const maxInactiveKeys = limit(options.maxInactiveKeys, 'maxInactiveKeys', 0) ?? 50
	const allowedMetadata = textList(options.allowedMetadata, 'allowedMetadata')
	const trustedOrigins = textList(options.trustedOrigins, 'trustedOrigins').map((origin) => {
		if (!ORIGIN.test(origin)) fail('trustedOrigins must hold origins such as "https://app.example"')
		return origin.toLowerCase()
	})
	if (actor !== undefined && typeof actor !== 'function')
		throw new KeywardError('invalid_option', 'actor must be a function')
	if (maxLifetimeMs !== undefined && defaultLifetimeMs !== undefined && defaultLifetimeMs > maxLifetimeMs) {
		throw new KeywardError('invalid_option', 'defaultLifetimeMs must not exceed maxLifetimeMs')
	}

	async function allowedFor(request: R, owner: string): Promise<readonly string[]> {
		if (fixedScopes !== undefined) return fixedScopes
		return resolveScopes(
			await (allowedOption as Exclude<typeof allowedOption, readonly string[]>)(request, owner),
			'allowedScopes()',
		)
	}

	function createInput(
		fields: Record<string, unknown>,
		allowed: readonly string[],
	): Omit<CreateKeyInput, 'owner'> {
		onlyFields(fields, CREATE_FIELDS)
		const { metadata } = fields
		if (
			metadata !== undefined &&
			typeof metadata === 'object' &&
			metadata !== null &&
			!Array.isArray(metadata)
		) {
			for (const name of Object.keys(metadata)) {
				if (!allowedMetadata.includes(name))
					throw new KeyManagementRefusal(
						403,
						'metadata_not_allowed',
						`Metadata field not allowed: "${name.slice(0, 40)}"`,
					)
			}
		}
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
			throw new KeyManagementRefusal(403, 'lifetime_not_allowed', `Keys may live at most ${maxLifetimeMs} ms`)
		}
		const quota = fields.monthlyQuota === undefined ? (maxQuota ?? null) : fields.monthlyQuota
		if (maxQuota !== undefined && (quota === null || (typeof quota === 'number' && quota > maxQuota))) {
			throw new KeyManagementRefusal(403, 'quota_not_allowed', `The monthly quota may be at most ${maxQuota}`)
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

	type Answer = Promise<readonly [status: number, body: unknown]>

	async function create(call: KeyManagementCall<R>, owner: string): Answer {
		const input = createInput(await call.body(), await allowedFor(call.request, owner))
		try {
			const limits = { maxActiveKeys: maxKeys, keepInactiveKeys: maxInactiveKeys }
			const { key, info } = await keyward.createKey({ ...input, owner }, limits)
			return [201, { key, info }]
		} catch (error) {
			if (!isKeywardError(error, 'too_many_keys')) throw error
			throw new KeyManagementRefusal(403, 'too_many_keys', `You may hold at most ${maxKeys} active keys`)
		}
	}

	async function rotate(call: KeyManagementCall<R>, owner: string): Answer {
		const fields = await call.body()
		onlyFields(fields, ['graceMs'])
		const graceMs = fields.graceMs ?? 0
		if (typeof graceMs !== 'number' || !Number.isSafeInteger(graceMs) || graceMs < 0 || graceMs > MAX_MS) {
			throw invalid('graceMs must be a non-negative integer of milliseconds (at most 100 years)')
		}
		const found = await ownKey(owner, call.id)
		checkScopesAllowed(found.scopes, await allowedFor(call.request, owner))
		const lifetime =
			found.expiresAt === null
				? Number.POSITIVE_INFINITY
				: found.expiresAt.getTime() - found.createdAt.getTime()
		if (maxLifetimeMs !== undefined && (lifetime > maxLifetimeMs || graceMs > maxLifetimeMs)) {
			throw new KeyManagementRefusal(403, 'lifetime_not_allowed', `Keys may live at most ${maxLifetimeMs} ms`)
		}
		const { key, info, previous } = await keyward.rotateKey(found.id, { graceMs })
		return [201, { key, info, previous }]
	}

	const operations: Record<KeyManagementOperation, (call: KeyManagementCall<R>, owner: string) => Answer> = {
		list: async (_call, owner) => [200, { keys: await keyward.listKeys({ owner }) }],
		create,
		revokeAll: async (_call, owner) => [200, { revoked: await keyward.revokeAll(owner) }],
		get: async (call, owner) => [200, { info: await ownKey(owner, call.id) }],
		revoke: async (call, owner) => [
			200,
			{ info: await keyward.revokeKey((await ownKey(owner, call.id)).id) },
		],
		delete: async (call, owner) => [
			200,
			{ info: await keyward.deleteKey((await ownKey(owner, call.id)).id) },
		],
		rotate,
	}

	return {
		async handle(call) {
			if (CHANGES.has(call.operation)) {
				const sameOrigin = isSameOriginRequest({ headers: call.headers, origin: call.origin, trustedOrigins })
				if (!sameOrigin) return [403, { detail: 'Cross-origin request refused', code: 'cross_origin' }]
				// A cross-site form or no-cors fetch can send text/plain or a form type, never JSON.
				if (call.operation !== 'delete' && !isJsonMediaType(mediaTypeOf(call)))
					return [415, { detail: 'Send the request as application/json', code: 'unsupported_media_type' }]
			}
			const owner = await ownerOf(call.request)
			if (typeof owner !== 'string' || owner === '')
				return [401, { detail: 'Not authenticated', code: 'missing' }]
			try {
				const context = { actor: actor?.(call.request, owner) || owner, source: call.source }
				return await withAuditContext(context, () => operations[call.operation](call, owner))
			} catch (error) {
				const answer = answerTo(error)
				if (answer === undefined) throw error
				return answer
			}
		},
	}
}
