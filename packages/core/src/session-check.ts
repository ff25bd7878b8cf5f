import type { CachedKey, CachedSession, HashCache, KeyCache } from './cache.js'
import type { KeyHasher } from './hash.js'
import type { StoreOperation } from './metrics.js'
import type { RecordLoader } from './record-loader.js'
import type { Rejecter } from './rejections.js'
import { createSessionLoader } from './session-records.js'
import { isSessionToken } from './session-token.js'
import type { StoreBoundary } from './store-boundary.js'
import type { KeyStore } from './store-types.js'
import type { VerifyFailure, VerifyResult } from './types.js'

/** What the session step of the request path needs. */
export interface SessionCheckDeps {
	readonly store: KeyStore
	readonly hasher: KeyHasher
	readonly guard: StoreBoundary['guard']
	readonly prefix: string
	readonly reject: Rejecter
	readonly cache: KeyCache
	readonly sessions: HashCache<CachedSession>
	readonly records: RecordLoader
	readonly now: () => number
	/** Note the clock reading a verification started at (the hour its usage history counts in). */
	stamp(nowMs: number): void
	/** The `503 unavailable` refusal for a failed store call, with its cause reported. */
	unavailable(cause: unknown, operation: StoreOperation, keyId?: string): VerifyFailure
	/** The key step of the request path: revoked, expired, owner, scopes, quota. */
	checkRecord(
		entry: CachedKey | null,
		scopes: readonly string[] | undefined,
		cost: number,
		nowMs: number,
	): VerifyResult | Promise<VerifyResult>
}

/** One kind of credential, checked: a key's text, or a session's token. */
export type CheckText = (
	text: string,
	scopes: readonly string[] | undefined,
	cost: number,
) => VerifyResult | Promise<VerifyResult>

/**
 * The session step of the request path: the token's format (no store access for a made-up one),
 * the session by the hash of its token through the session cache (unknown, ended or expired:
 * `invalid_session`), then its key by id through the key cache, checked exactly as a key presented
 * by itself. So revocation, expiry (a rotation's grace included), the owner's switch, the scopes in
 * effect and the quota apply to a session as soon as they apply to its key.
 */
export function createSessionCheck(deps: SessionCheckDeps): CheckText {
	const { hasher, reject, cache, sessions, records, now, checkRecord, unavailable } = deps
	const loader = createSessionLoader(deps.store, hasher, deps.guard, sessions)

	/** The key of a session was deleted (its sessions with it): forget the session here too. */
	function keyGone(session: CachedSession): VerifyResult {
		sessions.delete(session.hash)
		sessions.setUnknown(session.hash)
		return reject('revoked', undefined, session.keyId)
	}

	function checkSession(
		session: CachedSession | null,
		scopes: readonly string[] | undefined,
		cost: number,
		nowMs: number,
	): VerifyResult | Promise<VerifyResult> {
		if (session === null || nowMs >= session.expiresAtMs) return reject('invalid_session')
		const entry = cache.getById(session.keyId, nowMs)
		if (entry !== undefined) return checkRecord(entry, scopes, cost, nowMs)
		return records.loadById(session.keyId, nowMs).then(
			(loaded) => (loaded === null ? keyGone(session) : checkRecord(loaded, scopes, cost, nowMs)),
			(error: unknown) => unavailable(error, 'find_key', session.keyId),
		)
	}

	return function verifySessionText(token, scopes, cost) {
		if (!isSessionToken(token, deps.prefix)) return reject('invalid_session')
		const nowMs = now()
		deps.stamp(nowMs)
		const hash = hasher.hash(token)
		const entry = sessions.get(hash, nowMs)
		if (entry !== undefined) return checkSession(entry, scopes, cost, nowMs)
		return loader.load(token, hash, nowMs).then(
			(loaded) => checkSession(loaded, scopes, cost, nowMs),
			(error: unknown) => unavailable(error, 'find_session'),
		)
	}
}
