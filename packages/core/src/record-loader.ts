import type { CachedKey, KeyCache } from './cache.js'
import { type KeyHasher, safeEqual } from './hash.js'
import type { OwnerEntry } from './owner-cache.js'
import { ownerCounterId, verifiedKey } from './owners.js'
import { NO_HEADERS, type RateLimitPolicy } from './rate-limit-headers.js'
import { isRecord, toInfo } from './records.js'
import type { StoreBoundary } from './store-boundary.js'
import type { KeyStore } from './store-types.js'
import type { KeyRecord, VerifySuccess } from './types.js'

/** Reads key records for the request path, through the cache. */
export interface RecordLoader {
	/**
	 * Read the record of `key` (hash `hash`) from the store into the cache; `null` when unknown.
	 * `legacy`: the key is of a legacy format, and may be stored under its plain SHA-256 too.
	 */
	load(key: string, hash: string, nowMs: number, legacy?: boolean): Promise<CachedKey | null>
	/** Read the record of key `id` from the store into the cache (for a session); `null` when unknown. */
	loadById(id: string, nowMs: number): Promise<CachedKey | null>
	/**
	 * The cache entry of a record, with what the hot path needs made once, cached under `hash`
	 * (the hash the request path computes for the key) or else the record's own.
	 */
	cacheEntry(record: KeyRecord, hash?: string): CachedKey
}

const NO_POLICIES: readonly RateLimitPolicy[] = Object.freeze([])

/**
 * Derive what the hot path needs of `entry` under its owner's entry: the scopes in effect, the
 * shared success answer, and the limits counted (the key's own, the owner's shared one, both).
 * Runs once per key and owner change, never per request.
 */
export function deriveUnderOwner(entry: CachedKey, ownerEntry: OwnerEntry): void {
	const { info } = entry
	const owner = ownerEntry.owner
	entry.owner = ownerEntry
	entry.verified = verifiedKey(info, owner)
	entry.success = Object.freeze({ ok: true, key: entry.verified, headers: NO_HEADERS })
	entry.policy = undefined
	const keyLimit = info.monthlyQuota
	const ownerLimit = owner?.monthlyQuota ?? null
	if (owner === null || ownerLimit === null) {
		entry.policies = keyLimit === null ? NO_POLICIES : Object.freeze([{ name: 'monthly', limit: keyLimit }])
		entry.counters = undefined
		return
	}
	const account: RateLimitPolicy = { name: 'account', limit: ownerLimit }
	entry.policies = Object.freeze(
		keyLimit === null ? [account] : [{ name: 'monthly', limit: keyLimit }, account],
	)
	// The key is counted even without a limit of its own, so its share of the owner's is known.
	entry.counters = Object.freeze([
		{ id: info.familyId, limit: keyLimit ?? Number.MAX_SAFE_INTEGER, group: info.owner },
		{ id: ownerCounterId(owner.id), limit: ownerLimit, group: owner.id },
	])
}

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
	const byHash = sharedLookups<CachedKey | null>()
	const byId = sharedLookups<CachedKey | null>()

	function cacheEntry(record: KeyRecord, hash = record.hash): CachedKey {
		const info = toInfo(record)
		const verified = verifiedKey(info, null)
		const success: VerifySuccess = Object.freeze({ ok: true, key: verified, headers: NO_HEADERS })
		return {
			hash,
			info,
			freshUntil: 0,
			owner: undefined,
			verified,
			success,
			policies: NO_POLICIES,
			counters: undefined,
			policy: undefined,
			policyPeriod: 0,
		}
	}

	/**
	 * The record of `key` under any of its candidate hashes, as a cache entry keyed by `current`:
	 * a key stored under an older pepper is then found in the cache by the hash the request path
	 * computes, instead of going to the store on every request.
	 */
	async function find(key: string, current: string, legacy: boolean): Promise<CachedKey | null> {
		for (const hash of legacy ? hasher.candidatesWithPlain(key) : hasher.candidates(key)) {
			const record: unknown = await guard(store.findByHash(hash))
			if (record === null || record === undefined) continue
			if (!isRecord(record) || !safeEqual(record.hash, hash))
				throw new Error('store returned an invalid record')
			return cacheEntry(record, current)
		}
		return null
	}

	async function findById(id: string): Promise<CachedKey | null> {
		const record: unknown = await guard(store.findById(id))
		if (record === null || record === undefined) return null
		if (!isRecord(record) || record.id !== id) throw new Error('store returned an invalid record')
		return cacheEntry(record)
	}

	return {
		cacheEntry,
		loadById(id, nowMs) {
			return byId(id, () =>
				findById(id).then((entry) => {
					if (entry !== null) cache.set(entry, nowMs)
					return entry
				}),
			)
		},
		load(key, hash, nowMs, legacy = false) {
			return byHash(hash, () =>
				find(key, hash, legacy).then((entry) => {
					if (entry === null) cache.setUnknown(hash)
					else cache.set(entry, nowMs)
					return entry
				}),
			)
		},
	}
}

/**
 * Store lookups that concurrent misses share: while the lookup of `id` is pending, asking for `id`
 * again answers the same promise instead of asking the store again.
 */
export function sharedLookups<T>(): (id: string, lookup: () => Promise<T>) => Promise<T> {
	const inflight = new Map<string, Promise<T>>()
	return function shared(id, lookup) {
		let pending = inflight.get(id)
		if (pending === undefined) {
			pending = lookup().finally(() => inflight.delete(id))
			inflight.set(id, pending)
		}
		return pending
	}
}
