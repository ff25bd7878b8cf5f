import { isKeywardError, KeywardError } from './errors.js'
import type { CreateKeyInput, CreateKeyLimits } from './lifecycle-types.js'
import { resolveScopes } from './middleware.js'
import { rejectUnknownOptions } from './options.js'
import { SCOPE_PATTERN, scopeGrants } from './scopes.js'
import type { KeyInfo, OwnerInfo } from './types.js'

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
	 * scope beyond these, at creation or rotation; a key may also be created with `"scopes":
	 * "inherit"` (the owner's scopes, decided at each verification).
	 * @defaultValue the scopes of the owner's record (`setOwner`), else [] (keys without scopes only)
	 */
	allowedScopes?:
		| readonly string[]
		| ((request: R, owner: string) => readonly string[] | Promise<readonly string[]>)
		| undefined
	/** Longest lifetime a caller may ask for; keys that never expire are refused. @defaultValue no limit */
	maxLifetimeMs?: number | undefined
	/** Lifetime of keys created without `expiresIn`. @defaultValue `maxLifetimeMs`, else the keyward's policy */
	defaultLifetimeMs?: number | undefined
	/**
	 * Highest monthly quota a caller may ask for; unlimited keys are refused.
	 * @defaultValue the quota of the owner's record (keys may then also have none: they share it), else no limit
	 */
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

/** How an adapter names itself in option errors. */
export interface KeyManagerHost {
	/** `'keyManagementRouter'` */
	readonly name: string
	/** The request's parameter name in `owner(...)`: `'req'` or `'ctx'`. */
	readonly request: string
	/** Option names the adapter adds and checks itself. */
	readonly options?: readonly string[] | undefined
}

/** A {@link KeyManagementPolicy} after validation: what the manager checks each call against. */
export interface ResolvedPolicy<R> {
	readonly owner: KeyManagementPolicy<R>['owner']
	/** The audit actor of a call by `owner`. */
	actorOf(request: R, owner: string): string
	/** Scopes `owner` may grant: the host's `allowedScopes`, else its record's. */
	allowedFor(request: R, owner: string, account: OwnerInfo | null): Promise<readonly string[]>
	/** The `createKey` input for a `POST /keys` body, or a {@link KeyManagementRefusal}. */
	createInput(
		fields: Record<string, unknown>,
		allowed: readonly string[],
		account: OwnerInfo | null,
	): Omit<CreateKeyInput, 'owner'>
	/** The per-owner limits of `createKey`. */
	readonly limits: Readonly<CreateKeyLimits>
	/** Map the store's `too_many_keys` to the caller's refusal; other errors pass through. */
	tooManyKeys(error: unknown): unknown
	/** The grace period of a rotation of `key` asked for with `fields`, or a refusal. */
	rotation(key: KeyInfo, fields: Record<string, unknown>, allowed: readonly string[]): number
	readonly trustedOrigins: readonly string[]
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
/** What a caller may send in the body of `POST /keys`. */
const CREATE_FIELDS = ['name', 'note', 'scopes', 'expiresIn', 'monthlyQuota', 'metadata']
const ORIGIN = /^https?:\/\/[^/\s?#]+$/i
const DURATION = /^(\d{1,13})(ms|s|m|h|d|w)$/
const UNIT_MS: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 }
/** Longest lifetime or grace accepted at all: 100 years (later instants overflow a `Date`). */
const MAX_MS = 3_155_760_000_000

const invalid = (detail: string) => new KeyManagementRefusal(400, 'invalid_argument', detail)
const refused = (code: string, detail: string) => new KeyManagementRefusal(403, code, detail)

function fail(message: string): never {
	throw new KeywardError('invalid_option', message)
}

function limit(value: unknown, name: string, min: number): number | undefined {
	if (value === undefined) return undefined
	if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
		fail(`${name} must be an integer of at least ${min}`)
	}
	return value
}

/** An optional list of non-empty strings, validated; `[]` when absent. */
function textList(value: unknown, name: string): readonly string[] {
	if (value === undefined) return []
	if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.length > 0 && v.length <= 256))
		fail(`${name} must be an array of non-empty strings`)
	return Object.freeze([...(value as string[])])
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

/** Refuse body fields the operation does not take. */
export function onlyFields(fields: Record<string, unknown>, known: readonly string[]): void {
	for (const name of Object.keys(fields))
		if (!known.includes(name)) throw invalid(`Unknown field "${name.slice(0, 40)}"`)
}

function checkScopesAllowed(scopes: readonly string[], allowed: readonly string[]): void {
	if (!scopes.every((scope) => allowed.some((have) => scopeGrants(have, scope)))) {
		throw refused('scope_not_allowed', 'A requested scope is beyond what you may grant')
	}
}

function checkMetadataAllowed(metadata: unknown, allowed: readonly string[]): void {
	if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return
	for (const name of Object.keys(metadata)) {
		if (!allowed.includes(name))
			throw refused('metadata_not_allowed', `Metadata field not allowed: "${name.slice(0, 40)}"`)
	}
}

/** Validate a key manager's policy at once: an invalid option throws `KeywardError('invalid_option')`. */
export function resolvePolicy<R>(
	options: Readonly<KeyManagementPolicy<R>>,
	host: KeyManagerHost,
): ResolvedPolicy<R> {
	if (typeof options !== 'object' || options === null || typeof options.owner !== 'function') {
		fail(`${host.name} needs an owner(${host.request}) function`)
	}
	rejectUnknownOptions(options, [...POLICY_OPTIONS, ...(host.options ?? [])], `${host.name} options`)
	const { actor } = options
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
	if (actor !== undefined && typeof actor !== 'function') fail('actor must be a function')
	if (maxLifetimeMs !== undefined && defaultLifetimeMs !== undefined && defaultLifetimeMs > maxLifetimeMs) {
		fail('defaultLifetimeMs must not exceed maxLifetimeMs')
	}
	const lifetimeRefusal = () => refused('lifetime_not_allowed', `Keys may live at most ${maxLifetimeMs} ms`)

	return {
		owner: options.owner,
		actorOf: (request, owner) => actor?.(request, owner) || owner,
		async allowedFor(request, owner, account) {
			if (options.allowedScopes === undefined) return account?.scopes ?? []
			if (fixedScopes !== undefined) return fixedScopes
			const scopes = await (allowedOption as Exclude<typeof allowedOption, readonly string[]>)(request, owner)
			return resolveScopes(scopes, 'allowedScopes()')
		},
		createInput(fields, allowed, account) {
			onlyFields(fields, CREATE_FIELDS)
			checkMetadataAllowed(fields.metadata, allowedMetadata)
			const scopes = fields.scopes ?? []
			if (scopes !== 'inherit') {
				if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && SCOPE_PATTERN.test(s))) {
					throw invalid('scopes must be "inherit" or an array of scope strings')
				}
				checkScopesAllowed(scopes, allowed)
			}
			const lifetime = lifetimeOf(fields.expiresIn) ?? (fields.expiresIn === null ? null : defaultLifetimeMs)
			if (
				maxLifetimeMs !== undefined &&
				(lifetime === null || lifetime === undefined || lifetime > maxLifetimeMs)
			) {
				throw lifetimeRefusal()
			}
			const quota = fields.monthlyQuota === undefined ? (maxQuota ?? null) : fields.monthlyQuota
			if (maxQuota !== undefined && (quota === null || (typeof quota === 'number' && quota > maxQuota))) {
				throw refused('quota_not_allowed', `The monthly quota may be at most ${maxQuota}`)
			}
			// Without a host limit, the account's own quota bounds a key's; a key may also share it.
			const shared = maxQuota === undefined ? (account?.monthlyQuota ?? null) : null
			if (shared !== null && typeof quota === 'number' && quota > shared) {
				throw refused('quota_not_allowed', `The monthly quota may be at most ${shared}`)
			}
			return {
				name: fields.name as string | null | undefined,
				note: fields.note as string | null | undefined,
				scopes,
				...(lifetime === null ? { expiresAt: null } : lifetime === undefined ? {} : { expiresIn: lifetime }),
				monthlyQuota: quota as number | null,
				metadata: fields.metadata as Record<string, unknown> | undefined,
			}
		},
		limits: Object.freeze({ maxActiveKeys: maxKeys, keepInactiveKeys: maxInactiveKeys }),
		tooManyKeys(error) {
			return isKeywardError(error, 'too_many_keys')
				? refused('too_many_keys', `You may hold at most ${maxKeys} active keys`)
				: error
		},
		rotation(key, fields, allowed) {
			onlyFields(fields, ['graceMs'])
			const graceMs = fields.graceMs ?? 0
			if (typeof graceMs !== 'number' || !Number.isSafeInteger(graceMs) || graceMs < 0 || graceMs > MAX_MS) {
				throw invalid('graceMs must be a non-negative integer of milliseconds (at most 100 years)')
			}
			if (key.scopes !== 'inherit') checkScopesAllowed(key.scopes, allowed)
			const lifetime =
				key.expiresAt === null ? Number.POSITIVE_INFINITY : key.expiresAt.getTime() - key.createdAt.getTime()
			if (maxLifetimeMs !== undefined && (lifetime > maxLifetimeMs || graceMs > maxLifetimeMs)) {
				throw lifetimeRefusal()
			}
			return graceMs
		},
		trustedOrigins,
	}
}
