import { currentAuditStamp } from './audit-context.js'
import { isKeywardError, KeywardError } from './errors.js'
import type { EventHub } from './events.js'
import type { KeyHasher } from './hash.js'
import { generateId } from './key-format.js'
import type { Rejecter } from './rejections.js'
import { toSessionInfo } from './session-records.js'
import { generateSessionToken, isSessionToken } from './session-token.js'
import type {
	CreateSessionOptions,
	CreateSessionResult,
	EndSessionOptions,
	SessionOptions,
	SessionRecord,
} from './session-types.js'
import type { StoreBoundary } from './store-boundary.js'
import type { KeyStore } from './store-types.js'
import type { RequestLike, VerifyOptions, VerifyResult } from './types.js'
import type { Verifier } from './verify-pipeline.js'

/** Lifetime of a session created without `lifetimeMs`. */
export const DEFAULT_SESSION_LIFETIME_MS = 8 * 3_600_000
/** Default of `sessions.maxLifetimeMs`. */
export const DEFAULT_MAX_SESSION_LIFETIME_MS = 30 * 86_400_000
/** Default of `sessions.maxPerKey`. */
export const DEFAULT_SESSIONS_PER_KEY = 100

/** Starting and ending sessions: the session half of a keyward. */
export interface SessionLifecycle {
	/**
	 * Log in with an API key (or with the key a request carries, read as `verify` reads it): the key
	 * is verified fully (counting no quota), and a session tied to it is recorded with a
	 * `session.created` audit entry. A refused login gets the refusal a request with that key would
	 * get, and counts for the failure limiter like one. Never throws for anything a request contains.
	 */
	createSession(
		from: string | RequestLike,
		options?: Readonly<CreateSessionOptions>,
	): Promise<CreateSessionResult>
	/** Verify a session token: the same checks, refusals and quota counting as `verifyKey` for its key. */
	verifySession(token: string, options?: Readonly<VerifyOptions>): Promise<VerifyResult>
	/**
	 * End the session of `token` everywhere (logout), with a `session.ended` audit entry; `false`
	 * when there was none. Throws `KeywardError('store_unavailable')` when the store fails.
	 */
	endSession(token: string, options?: Readonly<EndSessionOptions>): Promise<boolean>
}

/** What the session lifecycle needs from the keyward that wires it. */
export interface SessionLifecycleDeps {
	readonly store: KeyStore
	readonly boundary: StoreBoundary
	readonly hasher: KeyHasher
	readonly prefix: string
	readonly verifier: Verifier
	readonly reject: Rejecter
	readonly events: EventHub
	readonly now: () => number
	readonly options: Readonly<SessionOptions>
	/** Session `id` ended or was removed: forget it here and tell the other instances. */
	ended(id: string): void
}

const CREATE_OPTIONS = new Set(['username', 'lifetimeMs', 'client', 'scopes', 'hideCredentials'])
const BLANK = /^[ \t]+|[ \t]+$/g

function invalid(message: string): never {
	throw new KeywardError('invalid_argument', message)
}

function checkCreateOptions(options: Readonly<CreateSessionOptions>): void {
	if (typeof options !== 'object' || options === null) invalid('createSession options must be an object')
	for (const name of Object.keys(options))
		if (!CREATE_OPTIONS.has(name)) invalid(`Unknown createSession option "${name.slice(0, 40)}"`)
	const { username, lifetimeMs, client, scopes } = options
	if (username !== undefined && typeof username !== 'string') invalid('username must be a string')
	if (client !== undefined && typeof client !== 'string') invalid('client must be a string')
	if (lifetimeMs !== undefined && (!Number.isSafeInteger(lifetimeMs) || lifetimeMs < 1000))
		invalid('lifetimeMs must be an integer of at least 1000')
	if (scopes !== undefined && (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === 'string')))
		invalid('scopes must be an array of strings')
}

/** The session half of a keyward: logins, verification of session tokens, logouts. */
export function createSessionLifecycle(deps: SessionLifecycleDeps): SessionLifecycle {
	const { store, hasher, verifier, reject, events, now } = deps
	const call = deps.boundary.call
	const maxLifetimeMs = deps.options.maxLifetimeMs ?? DEFAULT_MAX_SESSION_LIFETIME_MS
	const maxPerKey = deps.options.maxPerKey ?? DEFAULT_SESSIONS_PER_KEY

	function newRecord(
		keyId: string,
		owner: string,
		keyExpiresAt: Date | null,
		options: Readonly<CreateSessionOptions>,
	) {
		const nowMs = now()
		const lifetimeMs = Math.min(options.lifetimeMs ?? DEFAULT_SESSION_LIFETIME_MS, maxLifetimeMs)
		const endsMs =
			keyExpiresAt === null ? nowMs + lifetimeMs : Math.min(nowMs + lifetimeMs, keyExpiresAt.getTime())
		const token = generateSessionToken(deps.prefix)
		const record: SessionRecord = {
			id: generateId(),
			hash: hasher.hash(token),
			keyId,
			owner,
			createdAt: new Date(nowMs),
			expiresAt: new Date(endsMs),
			client: options.client ?? null,
		}
		return { token, record }
	}

	async function createSession(
		from: string | RequestLike,
		options: Readonly<CreateSessionOptions> = {},
	): Promise<CreateSessionResult> {
		checkCreateOptions(options)
		const check: VerifyOptions = { cost: 0, client: options.client }
		if (options.scopes !== undefined) check.scopes = options.scopes
		if (options.hideCredentials !== undefined) check.hideCredentials = options.hideCredentials
		const { username } = options
		let verified: Awaited<ReturnType<Verifier['verify']>>
		if (typeof from === 'string') {
			const key = from.replace(BLANK, '')
			if (key === '') return reject('missing')
			verified = await verifier.verifyKey(key, check, username)
		} else verified = await verifier.verify(from, check, username)
		if (!verified.ok) return verified
		const { key, hide } = verified
		const stamp = currentAuditStamp({ actor: username ?? key.owner, source: options.client })
		for (let attempt = 0; ; attempt++) {
			const { token, record } = newRecord(key.id, key.owner, key.expiresAt, options)
			let removed: SessionRecord[]
			try {
				removed = await call(() => store.createSession(record, { maxPerKey, audit: stamp }))
			} catch (error) {
				// 71-bit ids and 190-bit tokens collide only by astronomically bad luck; one retry covers it.
				if (attempt === 0 && isKeywardError(error, 'duplicate_key')) continue
				// The key was deleted between its verification and the insert.
				if (isKeywardError(error, 'key_not_found')) return reject('revoked', undefined, key.id)
				return reject('unavailable', undefined, key.id)
			}
			for (const gone of removed) deps.ended(gone.id)
			const session = toSessionInfo(record)
			events.emit('session.created', { session, at: record.createdAt, ...stamp })
			const created = { ok: true as const, token, expiresAt: record.expiresAt, session, key }
			return hide === undefined ? created : { ...created, hide }
		}
	}

	async function endSession(token: string, options: Readonly<EndSessionOptions> = {}): Promise<boolean> {
		if (!isSessionToken(token, deps.prefix)) return false
		for (const hash of hasher.candidates(token)) {
			const found = await call(() => store.findSessionByHash(hash))
			if (found === null) continue
			const at = new Date(now())
			const stamp = currentAuditStamp({ actor: found.owner, source: options.client })
			const ended = await call(() => store.deleteSession(found.id, { at, audit: stamp }))
			deps.ended(found.id)
			if (ended === null) return false
			events.emit('session.ended', { session: toSessionInfo(ended), at, ...stamp })
			return true
		}
		return false
	}

	return {
		createSession,
		verifySession: (token, options = {}) => verifier.verifySession(token, options),
		endSession,
	}
}
