import type { KeyStore } from './store-types.js'

/** Coalesces `lastUsedAt` writes: at most one store write per key per interval. */
export interface LastUsedTracker {
	touch(id: string, nowMs: number): void
	/** Write everything pending now. */
	flush(): Promise<void>
	/** Flush and stop the timer. */
	close(): Promise<void>
}

/** `intervalMs === false` tracks nothing. Failed writes go to `failed` (an `error` event), never thrown. */
export function createLastUsedTracker(
	store: KeyStore,
	failed: (error: unknown) => void,
	intervalMs: number | false,
	guard: <T>(promise: Promise<T>) => Promise<T>,
): LastUsedTracker {
	if (intervalMs === false) return { touch() {}, flush: async () => {}, close: async () => {} }
	const pending = new Map<string, number>()
	let timer: ReturnType<typeof setInterval> | undefined

	async function flush(): Promise<void> {
		if (pending.size === 0) return
		const batch = [...pending]
		pending.clear()
		await Promise.all(
			batch.map(async ([id, at]) => {
				try {
					await guard(store.update(id, { lastUsedAt: new Date(at) }))
				} catch (error) {
					failed(error)
				}
			}),
		)
	}

	return {
		touch(id, nowMs) {
			pending.set(id, nowMs)
			if (timer === undefined) {
				timer = setInterval(() => void flush(), intervalMs)
				timer.unref()
			}
		},
		flush,
		async close() {
			if (timer !== undefined) clearInterval(timer)
			timer = undefined
			await flush()
		},
	}
}
