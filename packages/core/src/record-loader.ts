import type { CachedKey, KeyCache } from './cache.js'
import { type KeyHasher, safeEqual } from './hash.js'
import { isRecord, toInfo } from './records.js'
import type { StoreBoundary } from './store-boundary.js'
import type { KeyStore } from './store-types.js'
import type { KeyRecord, VerifySuccess } from './types.js'

/** Reads key records for the request path, through the cache. */
export interface RecordLoader {
	/** Read the record of `key` (hash `hash`) from the store into the cache; `null` when unknown. */
	load(key: string, hash: string, nowMs: number): Promise<CachedKey | null>
	/** The cache entry of a record, with what the hot path needs made once. */
	cacheEntry(record: KeyRecord): CachedKey
}

const EMPTY_HEADERS: Readonly<Record<string, string>> = Object.freeze({})

/**
 * Concurrent misses of one key share one store lookup. A key is looked up under every hash it may
 * be stored under (current pepper first); a store answering with a row that is not this key, or
 * not a record at all, is a failing store (the lookup rejects, and the request gets 503).
 */
export function createRecordLoader(
	store: KeyStore,
	hasher: KeyHasher,
	guard: StoreBoundary['guard'],
	cache: KeyCache,
): RecordLoader {
	const inflight = new Map<string, Promise<CachedKey | null>>()

	function cacheEntry(record: KeyRecord): CachedKey {
		const info = toInfo(record)
		const success: VerifySuccess = Object.freeze({ ok: true, key: info, headers: EMPTY_HEADERS })
		return { hash: record.hash, info, success, freshUntil: 0, policy: undefined, policyPeriod: 0 }
	}

	async function find(key: string): Promise<CachedKey | null> {
		for (const hash of hasher.candidates(key)) {
			const record: unknown = await guard(store.findByHash(hash))
			if (record === null || record === undefined) continue
			if (!isRecord(record) || !safeEqual(record.hash, hash))
				throw new Error('store returned an invalid record')
			return cacheEntry(record)
		}
		return null
	}

	return {
		cacheEntry,
		load(key, hash, nowMs) {
			let pending = inflight.get(hash)
			if (pending === undefined) {
				pending = find(key)
					.then((entry) => {
						if (entry === null) cache.setUnknown(hash)
						else cache.set(entry, nowMs)
						return entry
					})
					.finally(() => inflight.delete(hash))
				inflight.set(hash, pending)
			}
			return pending
		},
	}
}
