import type { SessionRecord } from './session-types.js'
import type { ConsumeResult, KeyPatch, KeyRecord, OwnerInfo, OwnerPatch } from './types.js'

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

/**
 * What happened to a key. `session.created` is a login with an API key ("API key login"),
 * `session.ended` a logout.
 */
export type AuditAction =
	| 'key.created'
	| 'key.revoked'
	| 'key.deleted'
	| 'key.rotated'
	| 'key.purged'
	| 'key.imported'
	| 'owner.changed'
	| 'session.created'
	| 'session.ended'

/** One line of the audit trail. Never holds key text or hashes. */
export interface AuditEntry {
	/** When it happened, by the keyward's clock. */
	readonly at: Date
	readonly action: AuditAction
	/**
	 * The key acted on (for a session, the key it was started with); for `key.rotated`, the new key;
	 * `null` for a change of the owner's record.
	 */
	readonly keyId: string | null
	/** Owner of the key, or the owner whose record changed. */
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
	/**
	 * The action of the audit entry: `'key.imported'` for a key brought in from another system
	 * (`keyward.importKey`). @defaultValue 'key.created'
	 */
	action?: 'key.created' | 'key.imported' | undefined
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

/** Options of {@link KeyStore.createSession}. */
export interface CreateSessionRecordOptions {
	/**
	 * Keep at most this many sessions of the key, the new one included: the oldest others are
	 * removed in the same operation. @defaultValue no limit
	 */
	maxPerKey?: number | undefined
	audit?: AuditStamp | undefined
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
 * Lifecycle changes (`create`, `revoke`, `revokeAll`, `rotate`, `delete`, and sessions' `createSession`
 * and `deleteSession`) are each one atomic operation, and a store that keeps an audit trail records
 * them in the same operation. Sessions disappear with their key.
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
	/**
	 * Records whose `hint` is exactly `hint` (case-sensitive), at most `limit` of them, in any
	 * order. An indexed lookup: it never reads every record.
	 */
	findByHint(hint: string, limit: number): Promise<KeyRecord[]>
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
	/** Remove, with the key's sessions; `false` if it was not there. */
	delete(id: string, options?: DeleteOptions): Promise<boolean>
	/**
	 * Delete the owner's inactive keys (revoked, or expired at `at`) beyond the newest `keep`
	 * (newest by `createdAt`), atomically, each with a `key.purged` audit entry and with its
	 * sessions; resolves to the deleted keys.
	 */
	purgeInactive(owner: string, keep: number, at: Date, options?: ChangeOptions): Promise<KeyRecord[]>
	/** The audit trail, newest first, for stores that keep one. */
	listAudit?(query?: Readonly<AuditQuery>): Promise<AuditEntry[]>
	/** The record of owner `id`, or `null` when it has none. */
	getOwner(id: string): Promise<OwnerInfo | null>
	/**
	 * Create or change the record of owner `id` (a new record starts with scopes `null`, no quota,
	 * enabled, no metadata), with an `owner.changed` audit entry, atomically; resolves to the record.
	 */
	setOwner(id: string, patch: OwnerPatch, at: Date, options?: ChangeOptions): Promise<OwnerInfo>
	/** Owner records, by id, at most `limit` of them after the id `after` (exclusive). */
	listOwners(query: { after?: string | undefined; limit: number }): Promise<OwnerInfo[]>
	/**
	 * Insert a session of key `session.keyId`, with a `session.created` audit entry, atomically. In
	 * the same operation, the key's sessions expired at `session.createdAt` are removed, and its
	 * oldest others beyond `maxPerKey`. Resolves to the sessions removed. Rejects with
	 * `KeywardError('duplicate_key')` if `id` or `hash` exists, and with
	 * `KeywardError('key_not_found')`, inserting nothing, when the key does not exist.
	 */
	createSession(session: SessionRecord, options?: CreateSessionRecordOptions): Promise<SessionRecord[]>
	/** Hot path: one indexed lookup of a session by the hash of its token. `null` if unknown. */
	findSessionByHash(hash: string): Promise<SessionRecord | null>
	/** End a session (logout), with a `session.ended` audit entry; resolves to it, or `null` if unknown. */
	deleteSession(id: string, options?: DeleteOptions): Promise<SessionRecord | null>
	/** Release resources; called by `keyward.close()`. */
	close?(): Promise<void>
}

/** One limit of {@link UsageCounter.consumeAll}. */
export interface CounterLimit {
	readonly id: string
	readonly limit: number
	/** The counter's group (see {@link UsageCounter.consume}'s `group`). @defaultValue none */
	readonly group?: string | undefined
}

/** Result of {@link UsageCounter.consumeAll}. */
export interface ConsumeAllResult {
	/** Whether `cost` was added to every counter (a denial adds it to none). */
	allowed: boolean
	/** Units used in the period per counter, in the order given, after this call (unchanged by a denial). */
	used: readonly number[]
}

/** Atomic per-key, per-period counters for quotas. */
export interface UsageCounter {
	/**
	 * Atomically add `cost` for `period` (e.g. `'2026-08'`) unless the sum would exceed `limit`;
	 * a denial changes nothing. A `cost` of 0 reads the current value. A counter that can answer
	 * without I/O (in process, or from units reserved ahead) may return the result itself rather
	 * than a promise; keyward then answers the request without waiting.
	 *
	 * `group` says which counters are counted together: keyward passes the key's owner with a
	 * key's counter, and the owner with the owner's own counter, always the same group for the same
	 * id. A counter may ignore it; one spread over several servers can keep a group's counters on one
	 * of them, so that `consumeAll` over a key and its owner runs in one place (Redis Cluster keeps
	 * a group on one hash slot).
	 */
	consume(
		keyId: string,
		period: string,
		cost: number,
		limit: number,
		group?: string | undefined,
	): ConsumeResult | Promise<ConsumeResult>
	/**
	 * Atomically add `cost` to every counter for `period` unless one of them would pass its limit;
	 * a denial changes nothing. keyward counts a key and its owner's shared quota with it. Without
	 * it, a keyward refuses to give an owner a quota (`setOwner`), rather than count two limits
	 * one after the other.
	 */
	consumeAll?(
		counters: readonly CounterLimit[],
		period: string,
		cost: number,
	): ConsumeAllResult | Promise<ConsumeAllResult>
	/** Release resources; called by `keyward.close()`. */
	close?(): Promise<void>
}
