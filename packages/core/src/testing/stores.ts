import type { UsageHistoryStore } from '../history-types.js'
import { KEY_STORE_METHODS, USAGE_HISTORY_METHODS } from '../store-shape.js'
import type { KeyStore, UsageCounter } from '../store-types.js'

/**
 * A store that forwards every call to `base`, except the methods in `overrides`: for tests that
 * count, delay or break one method of a working store. The usage history methods are forwarded
 * when `base` has them.
 * @example forwardingStore(memory, { findByHash: () => Promise.reject(new Error('down')) })
 */
export function forwardingStore(
	base: KeyStore,
	overrides: Partial<KeyStore & UsageHistoryStore> = {},
): KeyStore {
	const store: Record<string, unknown> = {}
	const methods: readonly string[] = [
		...KEY_STORE_METHODS,
		...USAGE_HISTORY_METHODS.filter(
			(name) => typeof (base as Partial<UsageHistoryStore>)[name] === 'function',
		),
	]
	for (const method of methods) {
		const own = (base as unknown as Record<string, (...args: unknown[]) => unknown>)[method] as (
			...args: unknown[]
		) => unknown
		store[method] =
			(overrides as Record<string, unknown>)[method] ?? ((...args: unknown[]) => own.apply(base, args))
	}
	return store as unknown as KeyStore
}

/**
 * A store, counter and usage history store whose every call answers with `fail()`: an unreachable
 * database by default, or a hanging one with `() => new Promise(() => {})`.
 */
export function failingStore(
	fail: () => Promise<never> = () => Promise.reject(new Error('connection refused')),
): KeyStore & UsageCounter & UsageHistoryStore {
	const store: Record<string, unknown> = { consume: fail }
	for (const method of [...KEY_STORE_METHODS, ...USAGE_HISTORY_METHODS]) store[method] = fail
	return store as unknown as KeyStore & UsageCounter & UsageHistoryStore
}
