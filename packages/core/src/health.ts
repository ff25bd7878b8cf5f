import { KeywardError } from './errors.js'
import type { HistoryStatus } from './history-types.js'
import type { QuotaCalendar } from './quota-period.js'
import { redactText } from './redact.js'
import { isConsumeResult } from './store-boundary.js'
import type { KeyStore, UsageCounter } from './store-types.js'

/** Options of {@link Keyward.health}. */
export interface HealthOptions {
	/** A probe unanswered after this long is a failure. @defaultValue 2000 */
	timeoutMs?: number | undefined
}

/** How a store or counter answered its probe. */
export interface ProbeResult {
	ok: boolean
	/** How long the probe took, in milliseconds (at most the timeout). */
	latencyMs: number
	/** Why it failed: the first line of the error's message, with anything shaped like a key masked. */
	error?: string | undefined
}

/**
 * Answer of {@link Keyward.health}: whether this keyward can verify keys now, for a readiness
 * probe. It holds no key text and no hashes; error messages come from the store's driver (a host
 * name, a database user), so answer outsiders with the status alone.
 */
export interface HealthReport {
	/** `store`, `usage` and `invalidation` are all ok: requests can be verified. */
	ok: boolean
	/** The key store answered a lookup of a hash no key has. */
	store: ProbeResult
	/** The quota counter answered a read (cost 0: nothing is counted). */
	usage: ProbeResult
	/** The invalidation channel subscribed, and its last announcement went out (ok when there is none). */
	invalidation: { ok: boolean; configured: boolean; error?: string | undefined }
	/** Usage history: whether it records, what waits to be written, what was dropped. Not part of `ok`. */
	history: HistoryStatus & { lastError?: string | undefined }
	/** When the check ran, by the keyward's clock. */
	checkedAt: Date
}

/** What the invalidation channel did last, as the keyward saw it. */
export interface InvalidationState {
	/** Subscribing failed: the channel stays unhealthy (keyward does not subscribe again). */
	subscribeFailed(error: unknown): void
	/** An announcement went out (`undefined`) or failed (`error`); the latest one counts. */
	published(error: unknown | undefined): void
	/** The channel's state for {@link HealthReport.invalidation}. */
	snapshot(configured: boolean): HealthReport['invalidation']
}

/** A hash no key has (keys hash to 64 hex digits of SHA-256; all zeros is never one in practice). */
const PROBE_HASH = '0'.repeat(64)
/** A counter id no key family has (ids are base62, without `-`). */
const PROBE_COUNTER = 'keyward-health-probe'

/** The first line of an error's message, masked and bounded: safe to show an operator. */
export function describeError(error: unknown): string {
	const text = error instanceof Error ? error.message : String(error)
	return redactText((text.split('\n')[0] ?? '').slice(0, 200)) || 'unknown error'
}

/** Tracks the invalidation channel's failures for {@link HealthReport.invalidation}. */
export function trackInvalidation(): InvalidationState {
	let subscribeError: unknown
	let publishError: unknown
	return {
		subscribeFailed(error) {
			subscribeError = error ?? new Error('subscribe failed')
		},
		published(error) {
			publishError = error
		},
		snapshot(configured) {
			const failure = subscribeError ?? publishError
			return failure === undefined
				? { ok: true, configured }
				: { ok: false, configured, error: describeError(failure) }
		},
	}
}

async function probe(run: () => unknown, timeoutMs: number): Promise<ProbeResult> {
	const started = performance.now()
	let timer: ReturnType<typeof setTimeout> | undefined
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
	})
	try {
		// An async step, so a store that throws at once is a failed probe too.
		await Promise.race([(async () => run())(), timeout])
		return { ok: true, latencyMs: performance.now() - started }
	} catch (error) {
		return { ok: false, latencyMs: performance.now() - started, error: describeError(error) }
	} finally {
		clearTimeout(timer)
	}
}

/** What {@link createHealthCheck} needs from the keyward that wires it. */
export interface HealthDeps {
	readonly store: KeyStore
	readonly usage: UsageCounter
	readonly calendar: QuotaCalendar
	readonly invalidation: { readonly configured: boolean; readonly state: InvalidationState }
	readonly history: () => HealthReport['history']
	readonly now: () => number
}

/** The `health()` of one keyward: both probes at once, each bounded by the timeout. */
export function createHealthCheck(
	deps: HealthDeps,
): (options?: Readonly<HealthOptions>) => Promise<HealthReport> {
	return async function health(options = {}) {
		const timeoutMs = options.timeoutMs ?? 2000
		if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
			throw new KeywardError('invalid_argument', 'timeoutMs must be a positive number')
		}
		const nowMs = deps.now()
		const [store, usage] = await Promise.all([
			probe(async () => {
				const found: unknown = await deps.store.findByHash(PROBE_HASH)
				if (found !== null && found !== undefined && typeof found !== 'object')
					throw new Error('the key store answered a lookup with something other than a record')
			}, timeoutMs),
			probe(async () => {
				const read: unknown = await deps.usage.consume(
					PROBE_COUNTER,
					deps.calendar(nowMs).id,
					0,
					Number.MAX_SAFE_INTEGER,
				)
				if (!isConsumeResult(read))
					throw new Error('the usage counter answered a read with something other than a count')
			}, timeoutMs),
		])
		const invalidation = deps.invalidation.state.snapshot(deps.invalidation.configured)
		return {
			ok: store.ok && usage.ok && invalidation.ok,
			store,
			usage,
			invalidation,
			history: deps.history(),
			checkedAt: new Date(nowMs),
		}
	}
}
