import type { RejectCode, RejectStatus } from './wire.js'

/** Public description of an API key. Never contains the key text or its hash. */
export interface KeyInfo {
	/** Short public identifier, shown in listings and used to revoke. Not enough to authenticate. */
	readonly id: string
	/** Who the key belongs to (a user, team or service id of the host application). */
	readonly owner: string
	/** Human label, e.g. "CI deploy". */
	readonly name: string | null
	/** Free text for the owner's notes. */
	readonly note: string | null
	/** Granted scopes. `*` grants every scope, `read:*` every scope starting with `read:`. */
	readonly scopes: readonly string[]
	readonly createdAt: Date
	/** `null`: never expires. A key is expired from this instant on. */
	readonly expiresAt: Date | null
	/** `null`: not revoked. */
	readonly revokedAt: Date | null
	/** Last successful verification, written at most once per key per `lastUsed.intervalMs`. */
	readonly lastUsedAt: Date | null
	/** Requests allowed per quota period; `null` means unlimited. */
	readonly monthlyQuota: number | null
	/** JSON-serialisable data of the host application. */
	readonly metadata: Readonly<Record<string, unknown>>
	/**
	 * Id of the first key of this key's rotation chain (its own id unless it replaced a key by
	 * rotation). Quotas are counted per family, so successors share the count of the key they
	 * replace.
	 */
	readonly familyId: string
	/** Id of the key that replaced this one by rotation; `null` until it is rotated. A replaced key cannot be rotated again. */
	readonly replacedBy: string | null
}

/** What a {@link KeyStore} keeps: the public info plus the hash of the key. Stores keep every field verbatim. */
export interface KeyRecord extends KeyInfo {
	/** SHA-256 (or peppered HMAC-SHA-256) of the full key, as produced by keyward. */
	readonly hash: string
}

/** Fields a {@link KeyStore.update} may change. Absent fields are left alone. */
export interface KeyPatch {
	name?: string | null | undefined
	note?: string | null | undefined
	scopes?: readonly string[] | undefined
	expiresAt?: Date | null | undefined
	revokedAt?: Date | null | undefined
	lastUsedAt?: Date | null | undefined
	monthlyQuota?: number | null | undefined
	metadata?: Readonly<Record<string, unknown>> | undefined
}

/**
 * Who made a lifecycle change. A store that keeps an audit trail writes the change's
 * {@link AuditEntry} with the change itself (same transaction), so neither exists without the other.
 */
export interface AuditStamp {
	/** Who did it (a user id, an operator's login); `null` when nobody said. */
	readonly actor: string | null
	/** Where it came from (a client IP, `cli@host`); `null` when nobody said. */
	readonly source: string | null
}

/** What happened to a key. */
export type AuditAction = 'key.created' | 'key.revoked' | 'key.deleted' | 'key.rotated' | 'key.purged'

/** One line of the audit trail. Never holds key text or hashes. */
export interface AuditEntry {
	/** When it happened, by the keyward's clock. */
	readonly at: Date
	readonly action: AuditAction
	/** The key acted on; for `key.rotated`, the new key. */
	readonly keyId: string
	/** Owner of the key. */
	readonly owner: string
	/** Who did it; `null` when nobody said. */
	readonly actor: string | null
	/** Where it came from; `null` when nobody said. */
	readonly source: string | null
	/** For `key.rotated`: the key that was replaced; otherwise `null`. */
	readonly previousKeyId: string | null
}

/** Filter of {@link KeyStore.listAudit}. */
export interface AuditQuery {
	/** Most entries returned, 1 to 1000. @defaultValue 100 */
	limit?: number | undefined
	/** Only entries about this key id (as the key or as the rotated-away key). */
	keyId?: string | undefined
	/** Only entries about keys of this owner. */
	owner?: string | undefined
}

/** Options of {@link KeyStore.create}. */
export interface CreateRecordOptions {
	/**
	 * Refuse with `KeywardError('too_many_keys')`, creating nothing, when the owner already holds
	 * this many active keys (not revoked, not expired at `record.createdAt`, not replaced by a
	 * rotation). Checked and inserted atomically: concurrent creates never pass the limit.
	 */
	maxActive?: number | undefined
	audit?: AuditStamp | undefined
}

/** A rotation, for {@link KeyStore.rotate}. */
export interface KeyRotation {
	/** The key being replaced. */
	readonly id: string
	/** The new key; its `familyId` is the replaced key's. */
	readonly successor: KeyRecord
	/** The instant of the rotation. */
	readonly at: Date
	/**
	 * Until when the replaced key keeps working: `null` revokes it at `at`; otherwise its
	 * `expiresAt` becomes the earlier of its own and this.
	 */
	readonly graceEndsAt: Date | null
	readonly audit?: AuditStamp | undefined
}

/** What {@link KeyStore.rotate} changed. */
export interface RotationResult {
	/** The replaced key as updated. */
	readonly replaced: KeyRecord
	/** Earlier keys of the family whose grace period this rotation ended (usually none). */
	readonly graceEnded: readonly KeyRecord[]
}

/** Options of the store's lifecycle changes. */
export interface ChangeOptions {
	audit?: AuditStamp | undefined
}

/** Options of {@link KeyStore.delete}. */
export interface DeleteOptions extends ChangeOptions {
	/** When the deletion happened, for the audit entry. @defaultValue now */
	at?: Date | undefined
}

/**
 * Where key records live. Every method returns a promise and throws on infrastructure failure.
 * Lifecycle changes (`create`, `revoke`, `revokeAll`, `rotate`, `delete`) are each one atomic
 * operation, and a store that keeps an audit trail records them in the same operation.
 * `runKeyStoreConformance` from `@keyward/core/testing` checks all of it, concurrency included.
 */
export interface KeyStore {
	/**
	 * Insert (see {@link CreateRecordOptions} for the per-owner limit). Rejects with
	 * `KeywardError('duplicate_key')` if `id` or `hash` exists.
	 */
	create(record: KeyRecord, options?: CreateRecordOptions): Promise<void>
	/** Hot path: one indexed lookup. `null` if unknown. */
	findByHash(hash: string): Promise<KeyRecord | null>
	/** `null` if unknown. */
	findById(id: string): Promise<KeyRecord | null>
	/**
	 * Records whose id starts with `prefix` (case-sensitive), at most `limit` of them, in any
	 * order. An indexed lookup: it never reads every record.
	 */
	findByIdPrefix(prefix: string, limit: number): Promise<KeyRecord[]>
	/** Records of `owner` (all records when absent), newest first. */
	list(query: { owner?: string | undefined }): Promise<KeyRecord[]>
	/** Apply `patch`; resolves to the updated record, or `null` for an unknown id. */
	update(id: string, patch: KeyPatch): Promise<KeyRecord | null>
	/** Set `revokedAt` to `at` unless already revoked; resolves to the revoked record, or `null` (unknown or already revoked). */
	revoke(id: string, at: Date, options?: ChangeOptions): Promise<KeyRecord | null>
	/** Revoke every key of `owner` that is neither revoked nor expired at `at`, atomically; resolves to those keys. */
	revokeAll(owner: string, at: Date, options?: ChangeOptions): Promise<KeyRecord[]>
	/**
	 * Replace a key: atomically insert `successor` and mark the old key replaced, but only when the
	 * old key exists, is neither revoked nor expired at `at`, and was never replaced. Any other key
	 * of the family still in a grace period ends it at `at`, so a family has at most one key in
	 * grace. Resolves to what changed, or `null` (nothing changed) when the key was not rotatable;
	 * concurrent rotations of one key give exactly one successor.
	 */
	rotate(rotation: KeyRotation): Promise<RotationResult | null>
	/** Remove; `false` if it was not there. */
	delete(id: string, options?: DeleteOptions): Promise<boolean>
	/**
	 * Delete the owner's inactive keys (revoked, or expired at `at`) beyond the newest `keep`
	 * (newest by `createdAt`), atomically, each with a `key.purged` audit entry; resolves to the
	 * deleted keys.
	 */
	purgeInactive(owner: string, keep: number, at: Date, options?: ChangeOptions): Promise<KeyRecord[]>
	/** The audit trail, newest first, for stores that keep one. */
	listAudit?(query?: Readonly<AuditQuery>): Promise<AuditEntry[]>
	/** Release resources; called by `keyward.close()`. */
	close?(): Promise<void>
}

/** Result of {@link UsageCounter.consume}. */
export interface ConsumeResult {
	/** Whether `cost` was added. */
	allowed: boolean
	/** Units used in the period after this call (unchanged by a denial). */
	used: number
}

/** Atomic per-key, per-period counters for quotas. */
export interface UsageCounter {
	/**
	 * Atomically add `cost` for `period` (e.g. `'2026-08'`) unless the sum would exceed `limit`;
	 * a denial changes nothing. A `cost` of 0 reads the current value. A counter that can answer
	 * without I/O (in process, or from units reserved ahead) may return the result itself rather
	 * than a promise; keyward then answers the request without waiting.
	 */
	consume(keyId: string, period: string, cost: number, limit: number): ConsumeResult | Promise<ConsumeResult>
	/** Release resources; called by `keyward.close()`. */
	close?(): Promise<void>
}

/** Anything with headers and a URL; Node's `IncomingMessage` fits. */
export interface RequestLike {
	headers: Record<string, string | string[] | undefined>
	url?: string | undefined
	/** Raw header list as Node provides it; used to detect repeated `Authorization` headers. */
	rawHeaders?: readonly string[] | undefined
}

/** Quota state after a successful verification. */
export interface QuotaState {
	/** Requests allowed in the current period. */
	limit: number
	/** Requests left in the current period. */
	remaining: number
	/** Start of the next period. */
	resetAt: Date
}

/** A verified request. */
export interface VerifySuccess {
	ok: true
	key: KeyInfo
	/** Present when the key has a `monthlyQuota`. */
	quota?: QuotaState | undefined
	/** Response headers to send (IETF RateLimit headers for keys with a quota); may be empty. */
	headers: Readonly<Record<string, string>>
}

/** A refused request: everything an adapter needs to answer it. */
export interface VerifyFailure {
	ok: false
	status: RejectStatus
	code: RejectCode
	/** Human-readable reason; never contains key material. */
	detail: string
	/** Response headers: `WWW-Authenticate` on 401, `Retry-After` on 429, RateLimit headers. */
	headers: Readonly<Record<string, string>>
	/** Id of the key when it was identified (e.g. revoked, over quota). */
	keyId?: string | undefined
}

/** Outcome of `keyward.verify` / `keyward.verifyKey`. */
export type VerifyResult = VerifySuccess | VerifyFailure

/** Per-call options of `verify` and `verifyKey`. */
export interface VerifyOptions {
	/** Every one of these scopes is required. @defaultValue [] */
	scopes?: readonly string[] | undefined
	/**
	 * What to remove from the request after reading the key: `'query'` strips the key from the URL,
	 * `true` also deletes the header that carried it, `false` leaves the request untouched.
	 * @defaultValue the keyward's `hideCredentials`, itself `'query'` by default
	 */
	hideCredentials?: HideCredentials | undefined
	/** Quota units this request costs. @defaultValue 1 */
	cost?: number | undefined
	/**
	 * Who is calling (adapters pass the client IP, which honours the framework's trust-proxy
	 * setting). Only used when the keyward has a `failureLimit`.
	 */
	client?: string | undefined
}

/** See {@link VerifyOptions.hideCredentials}. */
export type HideCredentials = 'query' | boolean

/**
 * Broadcasts "key `id` changed" between instances so caches drop it at once
 * (`@keyward/redis` provides one on Redis pub/sub).
 */
export interface InvalidationChannel {
	/** Announce that key `id` was revoked, deleted, rotated or updated. */
	publish(id: string): Promise<void>
	/**
	 * Start receiving announcements (including this instance's own). `null` means announcements
	 * may have been missed (e.g. after a reconnect): every cached record is dropped.
	 */
	subscribe(listener: (id: string | null) => void): Promise<void> | void
	close?(): Promise<void>
}
