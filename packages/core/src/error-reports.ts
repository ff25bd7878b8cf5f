import type { EventHub, KeywardEvents } from './events.js'

/** Kinds of failure reported at most once per interval each: every request of an outage fails alike. */
export type ReportedKind = 'verify' | 'history' | 'history_dropped' | 'last_used'

/** Reports failures as `error` events, at most one per kind per interval, counting the rest. */
export interface ErrorReporter {
	/**
	 * Emit `error` (`during`) for a failure of `kind` now, or count it as suppressed when one of its
	 * kind was emitted within the interval. Returns whether it was emitted.
	 */
	report(kind: ReportedKind, during: KeywardEvents['error']['during'], error: unknown): boolean
	/** The latest failure of `kind`, emitted or not, and when (the keyward's clock). */
	last(kind: ReportedKind): { at: number; error: unknown } | undefined
}

/**
 * The reporter of one keyward. The interval is read on the keyward's clock, so a test moves it
 * without waiting; a suppressed failure is counted in the next event of its kind.
 */
export function createErrorReporter(events: EventHub, intervalMs: number, now: () => number): ErrorReporter {
	const state = new Map<ReportedKind, { reportedAt: number; suppressed: number }>()
	const latest = new Map<ReportedKind, { at: number; error: unknown }>()
	return {
		report(kind, during, error) {
			const at = now()
			latest.set(kind, { at, error })
			const seen = state.get(kind)
			if (seen !== undefined && at - seen.reportedAt < intervalMs && at >= seen.reportedAt) {
				seen.suppressed++
				return false
			}
			state.set(kind, { reportedAt: at, suppressed: 0 })
			events.emit('error', { error, during, suppressed: seen?.suppressed ?? 0 })
			return true
		},
		last: (kind) => latest.get(kind),
	}
}
