import { LRUCache } from 'lru-cache'
import type { CacheOptions } from './cache-options.js'
import type { OwnerEntry } from './owner-cache.js'
import type { RateLimitPolicy } from './rate-limit-headers.js'
import type { CounterLimit } from './store-types.js'
import type { KeyInfo, VerifiedKey, VerifySuccess } from './types.js'

/** What the hot path needs of a key, computed once per cache fill and owner change. */
export interface CachedKey {
	readonly hash: string
	readonly info: KeyInfo
	/** Instant (clock milliseconds) after which the entry is stale; set by the cache. */
	freshUntil: number
	/** The owner entry the fields below were derived from; `undefined` until the owner was read. */
	owner: OwnerEntry | undefined
	/** The key with the scopes in effect under `owner`. */
	verified: VerifiedKey
	/** Shared answer when nothing is counted: no allocation per request. */
	success: VerifySuccess
	/** The limits the RateLimit headers describe: the key's own, its owner's; none when nothing is counted. */
	policies: readonly RateLimitPolicy[]
	/** The key's and its owner's counters, when the owner has a quota; `undefined` when the key counts alone. */
	counters: readonly CounterLimit[] | undefined
	/** `RateLimit-Policy` value for {@link CachedKey.policyPeriod}, made once per key and period. */
	policy: string | undefined
	/** Start (epoch milliseconds) of the quota period `policy` was made for. */
	policyPeriod: number
}

/**
 * Cache by hash with a short negative cache; `get` answers `undefined` on a miss, `null` for a
 * known-unknown hash. Entries are also found by their public id (`getById`, `deleteId`).
 */
export interface HashCache<E> {
	get(hash: string, nowMs: number): E | null | undefined
	/** The fresh entry whose id is `id`, or `undefined`. */
	getById(id: string, nowMs: number): E | undefined
	set(entry: E, nowMs: number): void
	setUnknown(hash: string): void
	delete(hash: string): void
	/** Evict whatever is cached for id `id`. */
	deleteId(id: string): void
	/** The entry of id `id`, stale or not, without touching its recency; `undefined` when not cached. */
	peekId(id: string): E | undefined
	clear(): void
	readonly size: number
}

/** The cache of key records. */
export type KeyCache = HashCache<CachedKey>

/** What a {@link HashCache} needs of its entries. */
interface Cacheable {
	readonly hash: string
	freshUntil: number
}

/** How a {@link HashCache} reads an entry's id and expiry (epoch milliseconds, `null`: never). */
interface EntryFacts<E> {
	id(entry: E): string
	expiresAt(entry: E): number | null
}

const FORGETFUL: HashCache<never> = Object.freeze({
	get: () => undefined,
	getById: () => undefined,
	set() {},
	setUnknown() {},
	delete() {},
	deleteId() {},
	peekId: () => undefined,
	clear() {},
	size: 0,
})

/**
 * Builds a cache of entries by hash; `false` gives one that remembers nothing. Lifetimes are
 * checked here against the instant the caller already read, rather than by lru-cache, which would
 * read the clock again on every lookup: an unknown hash is stored as the number until which it is
 * known to be unknown.
 */
export function createHashCache<E extends Cacheable>(
	options: Readonly<CacheOptions> | false,
	now: () => number,
	facts: EntryFacts<E>,
): HashCache<E> {
	if (options === false) return FORGETFUL
	const ttl = options.ttlMs ?? 30_000
	const negativeTtl = options.negativeTtlMs ?? 5_000
	const hashById = new Map<string, string>()
	const lru = new LRUCache<string, E | number>({
		max: options.max ?? 10_000,
		dispose(value, hash) {
			if (typeof value === 'number') return
			const id = facts.id(value)
			if (hashById.get(id) === hash) hashById.delete(id)
		},
	})
	function get(hash: string, nowMs: number): E | null | undefined {
		const entry = lru.get(hash)
		if (entry === undefined) return undefined
		if (nowMs > (typeof entry === 'number' ? entry : entry.freshUntil)) {
			lru.delete(hash)
			return undefined
		}
		return typeof entry === 'number' ? null : entry
	}
	return {
		get,
		getById(id, nowMs) {
			const hash = hashById.get(id)
			return hash === undefined ? undefined : (get(hash, nowMs) ?? undefined)
		},
		set(entry, nowMs) {
			// An entry never outlives its expiry; an expired one is kept as briefly as an unknown hash.
			const expiresAt = facts.expiresAt(entry)
			const left = expiresAt === null ? ttl : expiresAt - nowMs
			const entryTtl = left > 0 ? Math.min(ttl, left) : negativeTtl
			if (entryTtl <= 0) return
			// Lifetimes count from now, when the record was read, not from when the request started.
			entry.freshUntil = now() + entryTtl
			// One entry per id: a key found under another hash (an older pepper, a lookup by id)
			// replaces the earlier entry, so that evicting the id can never leave one behind.
			const id = facts.id(entry)
			const previous = hashById.get(id)
			if (previous !== undefined && previous !== entry.hash) lru.delete(previous)
			lru.set(entry.hash, entry)
			hashById.set(id, entry.hash)
		},
		setUnknown(hash) {
			if (negativeTtl > 0) lru.set(hash, now() + negativeTtl)
		},
		delete(hash) {
			lru.delete(hash)
		},
		deleteId(id) {
			const hash = hashById.get(id)
			if (hash !== undefined) lru.delete(hash)
		},
		peekId(id) {
			const hash = hashById.get(id)
			const entry = hash === undefined ? undefined : lru.peek(hash)
			return typeof entry === 'object' ? entry : undefined
		},
		clear() {
			lru.clear()
			hashById.clear()
		},
		get size() {
			return lru.size
		},
	}
}

/** The cache of key records by hash (see {@link createHashCache}). */
export function createKeyCache(options: Readonly<CacheOptions> | false, now: () => number): KeyCache {
	return createHashCache<CachedKey>(options, now, {
		id: (entry) => entry.info.id,
		expiresAt: (entry) => entry.info.expiresAt?.getTime() ?? null,
	})
}

/** What the request path keeps of a session, by the hash of its token. */
export interface CachedSession {
	readonly hash: string
	readonly id: string
	readonly keyId: string
	/** Epoch milliseconds at which the session ends. */
	readonly expiresAtMs: number
	/** Instant (clock milliseconds) after which the entry is stale; set by the cache. */
	freshUntil: number
}

/** The cache of sessions by token hash, bounded and timed like the key cache. */
export function createSessionCache(
	options: Readonly<CacheOptions> | false,
	now: () => number,
): HashCache<CachedSession> {
	return createHashCache<CachedSession>(options, now, {
		id: (entry) => entry.id,
		expiresAt: (entry) => entry.expiresAtMs,
	})
}
