import type { ErrorReporter } from './error-reports.js'
import type { EventHub } from './events.js'
import type { HistoryRecorder } from './history-recorder.js'
import type { KeywardMetrics, StoreOperation } from './metrics.js'
import type { Rejecter } from './rejections.js'
import type { VerifyFailure, VerifyResult } from './types.js'

/**
 * What watches the request path: usage history, metrics, the `request.*` events, and the causes
 * of `unavailable` refusals. The pipeline asks it cheap questions (`timed()`, `recording`) so that
 * nothing is measured or allocated for what nobody watches.
 */
export interface VerifyObserver {
	/** Whether verifications must be timed: metrics are on, or someone listens to `request.*`. */
	timed(): boolean
	/** Whether every result must reach {@link VerifyObserver.finish} (usage history is on). */
	readonly recording: boolean
	/** Whether cache lookups are counted (metrics are on). */
	readonly countsLookups: boolean
	/** Count a cache lookup: `hit` when the cache answered, known-unknown hashes included. */
	cacheLookup(hit: boolean): void
	/**
	 * A verification ended; `startedAt` is its `performance.now()` when `timed`, `nowMs` the
	 * keyward's clock when it started (the hour it is counted in).
	 */
	finish(result: VerifyResult, startedAt: number, timed: boolean, nowMs: number): void
	/** A request refused before any key was read (none, unusable, ambiguous, a throttled client). */
	refused(result: VerifyFailure): void
	/**
	 * The `503 unavailable` refusal of a request whose store or counter call failed with `cause`:
	 * counted, reported through the rate-limited `error` event, and kept for `request.rejected`.
	 */
	unavailable(cause: unknown, operation: StoreOperation, keyId?: string): VerifyFailure
}

/** What the observer needs from the keyward that wires it. */
export interface VerifyObserverDeps {
	readonly events: EventHub
	readonly history: HistoryRecorder
	readonly metrics: KeywardMetrics | undefined
	readonly errors: ErrorReporter
	readonly reject: Rejecter
}

/** The observer of one keyward's request path. */
export function createVerifyObserver(deps: VerifyObserverDeps): VerifyObserver {
	const { events, history, metrics, errors, reject } = deps
	// A refusal made for a failed store call, and why; only such refusals are ever looked up.
	const causes = new WeakMap<VerifyFailure, unknown>()

	function emit(result: VerifyResult, latencyMs: number): void {
		if (result.ok) {
			if (events.has('request.verified')) events.emit('request.verified', { key: result.key, latencyMs })
			return
		}
		if (!events.has('request.rejected')) return
		const { code, status } = result
		const event = { code, status, keyId: result.keyId ?? null, latencyMs }
		const cause = causes.get(result)
		events.emit('request.rejected', cause === undefined ? event : { ...event, cause })
	}

	return {
		timed: () => metrics !== undefined || events.has('request.verified') || events.has('request.rejected'),
		recording: history.enabled,
		countsLookups: metrics !== undefined,
		cacheLookup(hit) {
			metrics?.cacheLookup(hit)
		},
		finish(result, startedAt, timed, nowMs) {
			if (history.enabled) {
				if (result.ok) history.record(result.key.id, result.key.owner, 'ok', nowMs)
				else if (result.keyId !== undefined) history.record(result.keyId, undefined, result.code, nowMs)
			}
			if (!timed) return
			const latencyMs = performance.now() - startedAt
			metrics?.verification(result.ok ? 'ok' : result.code, latencyMs)
			emit(result, latencyMs)
		},
		refused(result) {
			metrics?.verification(result.code, 0)
			emit(result, 0)
		},
		unavailable(cause, operation, keyId) {
			metrics?.storeError(operation)
			errors.report('verify', 'verify', cause)
			const failure: VerifyFailure = { ...reject('unavailable', undefined, keyId) }
			causes.set(failure, cause)
			return failure
		},
	}
}
