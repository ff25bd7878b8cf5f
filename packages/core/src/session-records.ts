import type { CachedSession, HashCache } from './cache.js'
import { type KeyHasher, safeEqual } from './hash.js'
import { sharedLookups } from './record-loader.js'
import type { SessionInfo, SessionRecord } from './session-types.js'
import type { StoreBoundary } from './store-boundary.js'
import type { KeyStore } from './store-types.js'

/** The session prefix of invalidation messages: `session:<id>` (key ids never contain `:`). */
export const SESSION_PREFIX = 'session:'

/** `true` when a row from a store has the shape of a session record. */
export function isSessionRecord(value: unknown): value is SessionRecord {
	if (typeof value !== 'object' || value === null) return false
	const r = value as Record<string, unknown>
	return (
		typeof r.id === 'string' &&
		typeof r.hash === 'string' &&
		typeof r.keyId === 'string' &&
		typeof r.owner === 'string' &&
		r.createdAt instanceof Date &&
		r.expiresAt instanceof Date &&
		!Number.isNaN(r.expiresAt.getTime()) &&
		(r.client === null || typeof r.client === 'string')
	)
}

/** The public part of a session record, frozen (the hash never leaves this function). */
export function toSessionInfo(record: SessionRecord): SessionInfo {
	return Object.freeze({
		id: record.id,
		keyId: record.keyId,
		owner: record.owner,
		createdAt: record.createdAt,
		expiresAt: record.expiresAt,
		client: record.client,
	})
}

/** Reads sessions for the request path, through the session cache. */
export interface SessionLoader {
	/** Read the session of `token` (hash `hash`) into the cache; `null` when unknown. */
	load(token: string, hash: string, nowMs: number): Promise<CachedSession | null>
}

/**
 * Concurrent misses of one token share one store lookup. A token is looked up under every hash it
 * may be stored under (current pepper first); a store answering with a row that is not this
 * session, or not a session at all, is a failing store (the lookup rejects: 503).
 */
export function createSessionLoader(
	store: KeyStore,
	hasher: KeyHasher,
	guard: StoreBoundary['guard'],
	cache: HashCache<CachedSession>,
): SessionLoader {
	const shared = sharedLookups<CachedSession | null>()

	/** The session of `token`, cached under `hash` (the current pepper's, whichever it is stored under). */
	async function find(token: string, hash: string): Promise<CachedSession | null> {
		for (const candidate of hasher.candidates(token)) {
			const record: unknown = await guard(store.findSessionByHash(candidate))
			if (record === null || record === undefined) continue
			if (!isSessionRecord(record) || !safeEqual(record.hash, candidate))
				throw new Error('store returned an invalid session')
			const { id, keyId, expiresAt } = record
			return { hash, id, keyId, expiresAtMs: expiresAt.getTime(), freshUntil: 0 }
		}
		return null
	}

	return {
		load(token, hash, nowMs) {
			return shared(hash, () =>
				find(token, hash).then((entry) => {
					if (entry === null) cache.setUnknown(hash)
					else cache.set(entry, nowMs)
					return entry
				}),
			)
		},
	}
}
