import { createKeyward } from '../src/keyward.js'
import { MemoryStore } from '../src/memory-store.js'
import type { KeywardOptions } from '../src/options.js'
import type { KeyStore } from '../src/types.js'

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
export function brokenStore(hang = false): KeyStore & { consume(): Promise<never> } {
	const fail = () => (hang ? new Promise<never>(() => {}) : Promise.reject(new Error('connection refused')))
	return {
		create: fail,
		findByHash: fail,
		findById: fail,
		list: fail,
		update: fail,
		delete: fail,
		consume: fail,
	}
}

/** A KeyStore that forwards to `store` except for the methods in `overrides`. */
export function delegate(store: KeyStore, overrides: Partial<KeyStore> = {}): KeyStore {
	return {
		create: (r) => store.create(r),
		findByHash: (h) => store.findByHash(h),
		findById: (i) => store.findById(i),
		list: (q) => store.list(q),
		update: (i, p) => store.update(i, p),
		delete: (i) => store.delete(i),
		...overrides,
	}
}
