import { createKeyward } from '../src/keyward.js'
import { MemoryStore } from '../src/memory-store.js'
import type { KeywardOptions } from '../src/options.js'
import { failingStore, forwardingStore } from '../src/testing/stores.js'
import type { InvalidationChannel } from '../src/types.js'

/** A settable clock starting at 2026-11-15T12:00:00Z. */
export function clock(start = Date.UTC(2026, 10, 15, 12)) {
	let t = start
	return {
		now: () => t,
		set(ms: number) {
			t = ms
		},
		advance(ms: number) {
			t += ms
		},
	}
}

/** A keyward over a fresh MemoryStore with a controllable clock. */
export function setup(options: KeywardOptions = {}) {
	const time = clock()
	const store = new MemoryStore()
	const keyward = createKeyward({ store, now: time.now, ...options })
	return { keyward, store, time }
}

/** A store whose every method rejects (or hangs when `hang` is set). */
export function brokenStore(hang = false) {
	return failingStore(hang ? () => new Promise<never>(() => {}) : undefined)
}

/** A KeyStore that forwards to `store` except for the methods in `overrides`. */
export const delegate = forwardingStore

/** An in-process invalidation channel shared by several keywards, as Redis pub/sub would be. */
export function sharedChannel(): () => InvalidationChannel {
	const listeners = new Set<(id: string | null) => void>()
	return () => ({
		publish: async (id) => {
			for (const listener of listeners) listener(id)
		},
		subscribe: (listener) => {
			listeners.add(listener)
		},
	})
}
