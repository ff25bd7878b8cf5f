import { LRUCache } from 'lru-cache'
import type { CacheOptions } from './cache-options.js'
import type { OwnerInfo } from './types.js'

/** What an instance knows of one owner: its record, or that it has none. */
export interface OwnerEntry {
	/** `null`: the owner has no record. */
	readonly owner: OwnerInfo | null
	/** Clock milliseconds after which the entry must be read again. */
	readonly freshUntil: number
	/** Set when the owner changed: key entries holding this entry read the owner again. */
	stale: boolean
}

/** Owner records by id, cached like key records (the missing ones too: most owners have none). */
export interface OwnerCache {
	/** The fresh entry of `id`, or `undefined` when it must be read. */
	get(id: string, nowMs: number): OwnerEntry | undefined
	/** Remember what the store answered for `id`, read at `nowMs`. */
	set(id: string, owner: OwnerInfo | null, nowMs: number): OwnerEntry
	/** The owner changed: forget it, and tell key entries holding it. */
	invalidate(id: string): void
	clear(): void
}

/** The owner cache of a keyward; with `false`, every entry is stale at once. */
export function createOwnerCache(options: Readonly<CacheOptions> | false): OwnerCache {
	const ttl = options === false ? 0 : (options.ttlMs ?? 30_000)
	const lru = new LRUCache<string, OwnerEntry>({ max: options === false ? 1 : (options.max ?? 10_000) })
	const forget = (entry: OwnerEntry | undefined) => {
		if (entry !== undefined) entry.stale = true
	}
	return {
		get(id, nowMs) {
			const entry = lru.get(id)
			return entry === undefined || entry.stale || nowMs > entry.freshUntil ? undefined : entry
		},
		set(id, owner, nowMs) {
			const entry: OwnerEntry = { owner, freshUntil: nowMs + ttl, stale: false }
			forget(lru.get(id))
			if (ttl > 0) lru.set(id, entry)
			return entry
		},
		invalidate(id) {
			forget(lru.get(id))
			lru.delete(id)
		},
		clear() {
			for (const entry of lru.values()) forget(entry)
			lru.clear()
		},
	}
}
