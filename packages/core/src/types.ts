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
	/**
	 * Granted scopes. `*` grants every scope, `read:*` every scope starting with `read:`.
	 * `'inherit'`: whatever the key's owner may do, decided at each verification (see
	 * {@link OwnerInfo.scopes}); a verified key carries the scopes in effect instead.
	 */
	readonly scopes: readonly string[] | 'inherit'
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
	/**
	 * The first characters of the key, so that whoever holds a key can tell which row is theirs:
	 * for a keyward key its prefix, environment and first 4 of its 36 body characters
	 * (`kw_live_3mQ7`; about 155 of its 178 random bits stay secret); for a key imported in a
	 * legacy format its first 8 characters (at most a quarter of it); for a key imported by its
	 * hash alone, the hint given then. `null` for keys stored before hints existed, and for hash
	 * imports without one. Accepted wherever an id is, when no other key has the same hint.
	 */
	readonly hint: string | null
}

/** What a `KeyStore` keeps: the public info plus the hash of the key. Stores keep every field verbatim. */
export interface KeyRecord extends KeyInfo {
	/** SHA-256 (or peppered HMAC-SHA-256) of the full key, as produced by keyward. */
	readonly hash: string
}

/** Fields a `KeyStore.update` may change. Absent fields are left alone. */
export interface KeyPatch {
	name?: string | null | undefined
	note?: string | null | undefined
	scopes?: readonly string[] | 'inherit' | undefined
	expiresAt?: Date | null | undefined
	revokedAt?: Date | null | undefined
	lastUsedAt?: Date | null | undefined
	monthlyQuota?: number | null | undefined
	metadata?: Readonly<Record<string, unknown>> | undefined
}

/** Result of `UsageCounter.consume`. */
export interface ConsumeResult {
	/** Whether `cost` was added. */
	allowed: boolean
	/** Units used in the period after this call (unchanged by a denial). */
	used: number
}

/** Anything with headers and a URL; Node's `IncomingMessage` fits. */
export interface RequestLike {
	headers: Record<string, string | string[] | undefined>
	url?: string | undefined
	/** Raw header list as Node provides it; used to detect repeated `Authorization` headers. */
	rawHeaders?: readonly string[] | undefined
}

/** A Node request as an adapter hands it to core: headers, URL, raw headers and method. */
export type NodeRequest = RequestLike & { method?: string | undefined }

/** Quota state after a successful verification: of the key's own limit, or of its owner's when that is the tighter one. */
export interface QuotaState {
	/** Requests allowed in the current period. */
	limit: number
	/** Requests left in the current period. */
	remaining: number
	/** Start of the next period. */
	resetAt: Date
	/** Whose limit this is: the key's own, or its owner's (shared with the owner's other keys). */
	scope: 'key' | 'owner'
}

/**
 * The key of a verified request: its public info with the scopes in effect, never more than its
 * owner's (an inheriting key has its owner's current scopes).
 */
export interface VerifiedKey extends KeyInfo {
	readonly scopes: readonly string[]
}

/**
 * The account behind keys (a principal), for owners that have a record: what all its keys may
 * do, a monthly limit they share, and a switch. A key whose owner has no record is bounded by
 * nothing but itself.
 */
export interface OwnerInfo {
	/** The owner id, as keys name it in `owner`. */
	readonly id: string
	/**
	 * What the account may do: an inheriting key gets these, an explicit key keeps only what they
	 * cover. `null`: the account is not restricted (explicit keys keep their scopes; inheriting
	 * keys get none).
	 */
	readonly scopes: readonly string[] | null
	/** Requests per quota period for all the owner's keys together; `null`: no shared limit. */
	readonly monthlyQuota: number | null
	/** A disabled account's keys are refused (`403 owner_disabled`) and nothing is counted. */
	readonly disabled: boolean
	/** JSON-serialisable data of the host application. */
	readonly metadata: Readonly<Record<string, unknown>>
	readonly createdAt: Date
	readonly updatedAt: Date
}

/** Changes of {@link OwnerInfo}; absent fields are left alone. */
export interface OwnerPatch {
	scopes?: readonly string[] | null | undefined
	monthlyQuota?: number | null | undefined
	disabled?: boolean | undefined
	metadata?: Readonly<Record<string, unknown>> | undefined
}

/** A verified request. */
export interface VerifySuccess {
	ok: true
	key: VerifiedKey
	/** Present when the key has a `monthlyQuota`. */
	quota?: QuotaState | undefined
	/** Response headers to send (IETF RateLimit headers for keys with a quota); may be empty. */
	headers: Readonly<Record<string, string>>
	/** What the adapter removes from the request (a query key, or headers under `hideCredentials: true`). */
	hide?: CredentialHiding | undefined
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
	/** What the adapter removes from the request (a query key, or headers under `hideCredentials: true`). */
	hide?: CredentialHiding | undefined
}

/**
 * What to remove from a request once its credentials were read, as `verify` reports it in
 * `hide`: core never edits the caller's request. An adapter applies it to every copy its framework
 * keeps (`hideCredentials` and `hideCredentialsInKoa` of `@keyward/core/adapter`).
 */
export interface CredentialHiding {
	/** The request URL without the credential query parameter; `undefined` when the URL carried none. */
	readonly url: string | undefined
	/** Headers that carried a credential, to delete (with `hideCredentials: true`). */
	readonly headers: readonly string[]
	/** Remove the credential query parameter from another copy of the URL (`originalUrl`). */
	readonly stripUrl: (url: string) => string
}

/** Outcome of `keyward.verify` / `keyward.verifyKey`. */
export type VerifyResult = VerifySuccess | VerifyFailure

/** Per-call options of `verify` and `verifyKey`. */
export interface VerifyOptions {
	/** Every one of these scopes is required. @defaultValue [] */
	scopes?: readonly string[] | undefined
	/**
	 * What to hide from the request after reading the key (reported in the result's `hide`, which
	 * adapters apply): `'query'` the key in the URL, `true` also the header that carried it,
	 * `false` nothing.
	 * @defaultValue the keyward's `hideCredentials`, itself `'query'` by default
	 */
	hideCredentials?: HideCredentials | undefined
	/** Quota units this request costs. @defaultValue 1 */
	cost?: number | undefined
	/**
	 * Who is calling, or how to read it from the request (adapters pass `(req) => req.ip`, which
	 * honours the framework's trust-proxy setting). Read only when the keyward has a `failureLimit`.
	 */
	client?: string | ((req: RequestLike) => string | undefined) | undefined
}

/** See {@link VerifyOptions.hideCredentials}. */
export type HideCredentials = 'query' | boolean

/**
 * Broadcasts "key `id` changed" between instances so caches drop it at once
 * (`@keyward/redis` provides one on Redis pub/sub).
 */
export interface InvalidationChannel {
	/**
	 * Announce that key `id` was revoked, deleted, rotated or updated, as `owner:<id>` that an
	 * owner's record changed, or as `session:<id>` that a session ended (key ids never contain `:`).
	 */
	publish(id: string): Promise<void>
	/**
	 * Start receiving announcements (including this instance's own). `null` means announcements
	 * may have been missed (e.g. after a reconnect): every cached record is dropped.
	 */
	subscribe(listener: (id: string | null) => void): Promise<void> | void
	close?(): Promise<void>
}
