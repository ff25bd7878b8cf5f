import type { KeyStore, UsageCounter } from '../store-types.js'

/** The methods every {@link KeyStore} has (`listAudit` and `close` are optional). */
const KEY_STORE_METHODS = [
	'create',
	'findByHash',
	'findById',
	'findByIdPrefix',
	'findByHint',
	'list',
	'update',
	'revoke',
	'revokeAll',
	'rotate',
	'delete',
	'purgeInactive',
	'getOwner',
	'setOwner',
	'listOwners',
	'createSession',
	'findSessionByHash',
	'deleteSession',
] as const satisfies readonly (keyof KeyStore)[]

/**
 * A store that forwards every call to `base`, except the methods in `overrides`: for tests that
 * count, delay or break one method of a working store.
 * @example forwardingStore(memory, { findByHash: () => Promise.reject(new Error('down')) })
 */
export function forwardingStore(base: KeyStore, overrides: Partial<KeyStore> = {}): KeyStore {
	const store: Record<string, unknown> = {}
	for (const method of KEY_STORE_METHODS) {
		const own = base[method] as (...args: unknown[]) => unknown
		store[method] = overrides[method] ?? ((...args: unknown[]) => own.apply(base, args))
	}
	return store as unknown as KeyStore
}

/**
 * A store and counter whose every call answers with `fail()`: an unreachable database by default,
 * or a hanging one with `() => new Promise(() => {})`.
 */
export function failingStore(
	fail: () => Promise<never> = () => Promise.reject(new Error('connection refused')),
): KeyStore & UsageCounter {
	const store: Record<string, unknown> = { consume: fail }
	for (const method of KEY_STORE_METHODS) store[method] = fail
	return store as unknown as KeyStore & UsageCounter
}
