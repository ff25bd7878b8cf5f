import type { CredentialHiding, HideCredentials, VerifiedKey, VerifyFailure } from './types.js'

/**
 * A session: what a login with an API key (`keyward.createSession`) starts, for a browser or a
 * script to carry as a cookie. It is tied to its key by id and holds nothing secret: never the
 * key, the token, or the token's hash.
 */
export interface SessionInfo {
	/** Short public identifier (12 base62 characters), used in invalidation messages (`session:<id>`). */
	readonly id: string
	/** The key the session was started with; every request checks that key as it is now. */
	readonly keyId: string
	/** Owner of the key. */
	readonly owner: string
	readonly createdAt: Date
	/** The session ends at this instant, never later than its key's expiry at login. */
	readonly expiresAt: Date
	/** The client address of the login (for audit); `null` when unknown. */
	readonly client: string | null
}

/** What a {@link KeyStore} keeps of a session: its info plus the hash of its token. */
export interface SessionRecord extends SessionInfo {
	/** SHA-256 (or peppered HMAC-SHA-256) of the session token, as produced by keyward. */
	readonly hash: string
}

/** Sessions of a keyward (`createKeyward({ sessions })`). */
export interface SessionOptions {
	/**
	 * Longest session: `createSession` shortens longer lifetimes to this. @defaultValue 30 days
	 */
	maxLifetimeMs?: number | undefined
	/**
	 * Sessions a key may have at once: a login beyond this ends the key's oldest session.
	 * @defaultValue 100
	 */
	maxPerKey?: number | undefined
}

/** Options of `keyward.createSession`. */
export interface CreateSessionOptions {
	/**
	 * Who the caller says they are. When given, it must equal the key's owner; otherwise the login
	 * is refused exactly as an unknown key is (`401 invalid`), whatever the key's state.
	 * @defaultValue none (the key alone decides)
	 */
	username?: string | undefined
	/**
	 * How long the session lasts; never past the key's expiry, nor past `sessions.maxLifetimeMs`.
	 * @defaultValue 8 hours
	 */
	lifetimeMs?: number | undefined
	/**
	 * Who is logging in (the client address): recorded in the session and its audit entry, and the
	 * client the failure limiter counts a failed login against.
	 */
	client?: string | undefined
	/** Scopes the key must hold to log in. @defaultValue [] */
	scopes?: readonly string[] | undefined
	/** When logging in from a request: what to hide of it, as for `verify`. @defaultValue the keyward's */
	hideCredentials?: HideCredentials | undefined
}

/** A started session. `token` is the only copy of the session's secret: it is never stored. */
export interface CreatedSession {
	ok: true
	/** The cookie value: random, carrying no key text (`kws_...`). */
	token: string
	/** When the session ends (also `session.expiresAt`). */
	expiresAt: Date
	session: SessionInfo
	/** The key that logged in, with the scopes in effect. */
	key: VerifiedKey
	/** What to hide of the request the key was read from (a key in the query). */
	hide?: CredentialHiding | undefined
}

/** Outcome of `keyward.createSession`: a session, or the refusal a request with that key would get. */
export type CreateSessionResult = CreatedSession | VerifyFailure

/** Options of `keyward.endSession`. */
export interface EndSessionOptions {
	/** Who is logging out (the client address), for the audit entry. */
	client?: string | undefined
}
