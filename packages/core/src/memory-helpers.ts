import type { KeyRecord, OwnerInfo } from './types.js'

/** A copy the caller cannot change the store through. */
export function copy(record: KeyRecord): KeyRecord {
	const scopes = record.scopes === 'inherit' ? 'inherit' : [...record.scopes]
	return { ...record, scopes, metadata: structuredClone(record.metadata) }
}

/** Newest first; the id breaks ties so the order is stable. */
export function newestFirst(a: KeyRecord, b: KeyRecord): number {
	return b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? -1 : 1)
}

/**
 * Ids by a value they share (owner, hint). Most values name one id, kept as the id itself: a `Set`
 * per key would cost more than the key's record.
 */
export type IdIndex = Map<string, string | Set<string>>

/** Add `id` under `value` in `index`. */
export function addTo(index: IdIndex, value: string, id: string): void {
	const ids = index.get(value)
	if (ids === undefined) index.set(value, id)
	else if (typeof ids !== 'string') ids.add(id)
	else if (ids !== id) index.set(value, new Set([ids, id]))
}

/** Remove `id` from under `value` in `index`. */
export function removeFrom(index: IdIndex, value: string, id: string): void {
	const ids = index.get(value)
	if (ids === id || (typeof ids !== 'string' && ids?.delete(id) === true && ids.size === 0))
		index.delete(value)
}

/** The ids under `value` in `index`. */
export function idsIn(index: IdIndex, value: string): string[] {
	const ids = index.get(value)
	return ids === undefined ? [] : typeof ids === 'string' ? [ids] : [...ids]
}

/** A copy of an owner record the caller cannot change the store through. */
export function copyOwner(owner: OwnerInfo): OwnerInfo {
	return {
		...owner,
		scopes: owner.scopes === null ? null : [...owner.scopes],
		metadata: structuredClone(owner.metadata),
	}
}
