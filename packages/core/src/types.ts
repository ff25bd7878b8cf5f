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

/** Where key records live. Every method returns a promise and throws on infrastructure failure. */
export interface KeyStore {
	/** Insert. Rejects with `KeywardError('duplicate_key')` if `id` or `hash` exists. */
	create(record: KeyRecord): Promise<void>
	/** Hot path: one indexed lookup. `null` if unknown. */
	findByHash(hash: string): Promise<KeyRecord | null>
	/** `null` if unknown. */
	findById(id: string): Promise<KeyRecord | null>
	/** Records of `owner` (all records when absent), newest first. */
	list(query: { owner?: string | undefined }): Promise<KeyRecord[]>
	/** Apply `patch`; resolves to the updated record, or `null` for an unknown id. */
	update(id: string, patch: KeyPatch): Promise<KeyRecord | null>
	/** Remove; `false` if it was not there. */
	delete(id: string): Promise<boolean>
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

/** Why a request was refused. */
export type RejectCode =
	| 'missing'
	| 'malformed'
	| 'invalid'
	| 'revoked'
	| 'expired'
	| 'ambiguous'
	| 'wrong_environment'
	| 'insufficient_scope'
	| 'quota_exceeded'
	| 'too_many_failures'
	| 'unavailable'

/** HTTP statuses a refusal can carry. */
export type RejectStatus = 401 | 403 | 429 | 503

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
