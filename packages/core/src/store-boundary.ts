import { KeywardError } from './errors.js'
import type { UsageCounter } from './store-types.js'
import type { ConsumeResult } from './types.js'

/** How keyward talks to stores and counters: bounded in time, and failing closed. */
export interface StoreBoundary {
	/** Reject a store answer slower than `storeTimeoutMs`: a hanging store must fail closed. */
	guard<T>(answer: PromiseLike<T>): Promise<T>
	/**
	 * Run a management call: a throw, a rejection or a timeout becomes
	 * `KeywardError('store_unavailable')` (a `KeywardError` the store threw is kept as it is).
	 */
	call<T>(operation: () => T | PromiseLike<T>): Promise<T>
}

/** `error` as keyward reports a failed store call. */
export function storeFailure(error: unknown): KeywardError {
	return error instanceof KeywardError
		? error
		: new KeywardError('store_unavailable', 'Key store unavailable', { cause: error })
}

export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
	return typeof (value as PromiseLike<T> | null | undefined)?.then === 'function'
}

/** A counter answering with anything but a boolean and a count is a failing counter. */
export function isConsumeResult(value: unknown): value is ConsumeResult {
	const r = value as Partial<ConsumeResult> | null | undefined
	return (
		typeof r === 'object' &&
		r !== null &&
		typeof r.allowed === 'boolean' &&
		Number.isSafeInteger(r.used) &&
		(r.used as number) >= 0
	)
}

export function isUsageCounter(value: unknown): value is UsageCounter {
	return typeof (value as UsageCounter | undefined)?.consume === 'function'
}

/**
 * The boundary for one keyward. `inProcess` (the in-memory store and counter, which cannot hang)
 * skips the timer, which keeps the hot path cheap.
 */
export function createStoreBoundary(timeoutMs: number, inProcess: boolean): StoreBoundary {
	function guard<T>(answer: PromiseLike<T>): Promise<T> {
		if (inProcess) return Promise.resolve(answer)
		let timer: ReturnType<typeof setTimeout> | undefined
		const timeout = new Promise<never>((_, rejectTimeout) => {
			timer = setTimeout(() => rejectTimeout(new Error('store call timed out')), timeoutMs)
		})
		return Promise.race([answer, timeout]).finally(() => clearTimeout(timer))
	}
	return {
		guard,
		async call(operation) {
			try {
				const answer = operation()
				return isThenable(answer) ? await guard(answer) : answer
			} catch (error) {
				throw storeFailure(error)
			}
		},
	}
}
