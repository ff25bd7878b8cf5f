import type { UsageOutcome } from './history-types.js'
import { USAGE_OUTCOMES } from './history-types.js'

/** Attributes of a measurement: few, fixed values (never a key id). */
export type MetricAttributes = Readonly<Record<string, string>>

/** Options keyward passes when it creates an instrument (a subset of OpenTelemetry's `MetricOptions`). */
export interface MetricInstrumentOptions {
	description?: string | undefined
	unit?: string | undefined
	advice?: { explicitBucketBoundaries?: number[] | undefined } | undefined
}

/**
 * The part of an OpenTelemetry `Meter` keyward uses: any `Meter` of `@opentelemetry/api` 1.x fits,
 * and so does anything else with these two methods.
 * @example
 * import { metrics } from '@opentelemetry/api'
 * createKeyward({ store, meter: metrics.getMeter('@keyward/core') })
 */
export interface KeywardMeter {
	createCounter(
		name: string,
		options?: MetricInstrumentOptions,
	): { add(value: number, attributes?: MetricAttributes): void }
	createHistogram(
		name: string,
		options?: MetricInstrumentOptions,
	): { record(value: number, attributes?: MetricAttributes): void }
}

/** Where a store or counter call failed, as the `operation` attribute of `keyward.store.errors` names it. */
export type StoreOperation =
	| 'find_key'
	| 'find_session'
	| 'find_owner'
	| 'count_quota'
	| 'last_used'
	| 'history'

/** What keyward measures. Every method is cheap: attributes are made once, never per call. */
export interface KeywardMetrics {
	/** A verification ended with `outcome` after `durationMs`. */
	verification(outcome: UsageOutcome, durationMs: number): void
	/** The cache answered a lookup (`hit`), or the store had to be asked. */
	cacheLookup(hit: boolean): void
	/** A store or counter call failed (a throw, a rejection, a timeout or a malformed answer). */
	storeError(operation: StoreOperation): void
}

/** Bucket boundaries in milliseconds: from a cached key (a microsecond) to a store timeout (seconds). */
const DURATION_BOUNDARIES = [
	0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500,
	5000,
]

/**
 * The instruments of one keyward on `meter`:
 * - `keyward.verifications` (counter; `outcome`: `ok` or a refusal code),
 * - `keyward.verification.duration` (histogram, milliseconds; `outcome`),
 * - `keyward.cache.lookups` (counter; `result`: `hit` or `miss`),
 * - `keyward.store.errors` (counter; `operation`: `find_key`, `find_session`, `find_owner`, `count_quota`,
 *   `last_used`, `history`).
 */
export function createMetrics(meter: KeywardMeter): KeywardMetrics {
	const verifications = meter.createCounter('keyward.verifications', {
		description: 'API key verifications, by outcome',
		unit: '{verification}',
	})
	const duration = meter.createHistogram('keyward.verification.duration', {
		description: 'Time to verify an API key, by outcome',
		unit: 'ms',
		advice: { explicitBucketBoundaries: DURATION_BOUNDARIES },
	})
	const lookups = meter.createCounter('keyward.cache.lookups', {
		description: 'Key cache lookups, by result (a miss asks the store)',
		unit: '{lookup}',
	})
	const storeErrors = meter.createCounter('keyward.store.errors', {
		description: 'Failed store and counter calls, by operation',
		unit: '{error}',
	})
	const outcomes = new Map<UsageOutcome, MetricAttributes>(
		USAGE_OUTCOMES.map((outcome) => [outcome, Object.freeze({ outcome })]),
	)
	const hit = Object.freeze({ result: 'hit' })
	const miss = Object.freeze({ result: 'miss' })
	const operations = new Map<StoreOperation, MetricAttributes>()
	return {
		verification(outcome, durationMs) {
			const attributes = outcomes.get(outcome)
			verifications.add(1, attributes)
			duration.record(durationMs, attributes)
		},
		cacheLookup(found) {
			lookups.add(1, found ? hit : miss)
		},
		storeError(operation) {
			let attributes = operations.get(operation)
			if (attributes === undefined) {
				attributes = Object.freeze({ operation })
				operations.set(operation, attributes)
			}
			storeErrors.add(1, attributes)
		},
	}
}

/** `true` when `meter` has the two methods keyward calls. */
export function isMeter(meter: unknown): meter is KeywardMeter {
	const m = meter as Partial<KeywardMeter> | null | undefined
	return typeof m?.createCounter === 'function' && typeof m.createHistogram === 'function'
}
