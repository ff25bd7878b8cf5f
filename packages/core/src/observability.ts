import type { KeyCache } from './cache.js'
import { createErrorReporter } from './error-reports.js'
import type { EventHub } from './events.js'
import {
	createHealthCheck,
	describeError,
	type HealthOptions,
	type HealthReport,
	type InvalidationState,
} from './health.js'
import { createHistoryReader } from './history-query.js'
import { createHistoryRecorder } from './history-recorder.js'
import {
	type HistoryOptions,
	isUsageHistoryStore,
	type UsageHistory,
	type UsageHistoryQuery,
	type UsageHistoryStore,
} from './history-types.js'
import { createMetrics, type KeywardMeter } from './metrics.js'
import type { QuotaCalendar } from './quota-period.js'
import type { Rejecter } from './rejections.js'
import type { StoreBoundary } from './store-boundary.js'
import type { KeyStore, UsageCounter } from './store-types.js'
import { createVerifyObserver, type VerifyObserver } from './verify-observer.js'

/** What a keyward tells about its own use and state: usage history, health, and pending writes. */
export interface Observability {
	/**
	 * Verifications of one key or one owner, in UTC hours or days, by outcome: from the store's
	 * usage history plus this instance's counts not written yet. Throws
	 * `KeywardError('not_supported')` when the store keeps no history, `store_unavailable` when it
	 * cannot be read.
	 * @example const { buckets, total } = await keyward.usageHistory({ key: info.id, days: 30 })
	 */
	usageHistory(query: Readonly<UsageHistoryQuery>): Promise<UsageHistory>
	/**
	 * Probe the store, the counter and the invalidation channel, each within `timeoutMs`; never
	 * throws for their failures. For a readiness probe: answer 503 unless `ok`.
	 * @example app.get('/ready', async (_req, res) => { res.sendStatus((await keyward.health()).ok ? 200 : 503) })
	 */
	health(options?: Readonly<HealthOptions>): Promise<HealthReport>
	/** Write pending `lastUsedAt` updates and usage history now (`close()` does too). */
	flush(): Promise<void>
}

/** What {@link createObservability} needs from the keyward that wires it. */
export interface ObservabilityDeps {
	readonly store: KeyStore
	readonly usage: UsageCounter
	readonly history: HistoryOptions | false | undefined
	readonly meter: KeywardMeter | undefined
	readonly errorIntervalMs: number
	readonly boundary: StoreBoundary
	readonly events: EventHub
	readonly cache: KeyCache
	readonly calendar: QuotaCalendar
	readonly reject: Rejecter
	readonly invalidation: { readonly configured: boolean; readonly state: InvalidationState }
	readonly now: () => number
}

/** Usage history, metrics, error reports and health of one keyward, and the observer of its request path. */
export function createObservability(deps: ObservabilityDeps): {
	/** `usageHistory`, `health`, and `flush` of usage history (the keyward adds its `lastUsedAt` writes). */
	readonly api: Observability
	readonly observer: VerifyObserver
	/** Report a failed `lastUsedAt` write: counted, and an `error` event at most once per interval. */
	lastUsedFailed(error: unknown): void
	close(): Promise<void>
} {
	const { store, events, boundary, now } = deps
	const metrics = deps.meter === undefined ? undefined : createMetrics(deps.meter)
	const errors = createErrorReporter(events, deps.errorIntervalMs, now)
	const options = deps.history === false ? {} : (deps.history ?? {})
	// With `history: false` nothing is recorded, but what the store keeps can still be read.
	const kept: UsageHistoryStore | undefined =
		options.store ?? (isUsageHistoryStore(store) ? store : undefined)
	const recorder = createHistoryRecorder({
		store: deps.history === false ? undefined : kept,
		flushIntervalMs: options.flushIntervalMs ?? 60_000,
		retentionDays: options.retentionDays ?? 90,
		maxPending: options.maxPending ?? 100_000,
		guard: boundary.guard,
		errors,
		metrics,
		now,
		ownerOf: (id) => deps.cache.peekId(id)?.info.owner,
		async findOwner(id) {
			const record = await boundary.guard(store.findById(id))
			return record?.owner ?? null
		},
	})
	const health = createHealthCheck({
		store,
		usage: deps.usage,
		calendar: deps.calendar,
		invalidation: deps.invalidation,
		now,
		history() {
			const status = recorder.status()
			const last = errors.last('history')
			const since = status.lastFlushAt?.getTime() ?? Number.NEGATIVE_INFINITY
			return last === undefined || last.at < since
				? status
				: { ...status, lastError: describeError(last.error) }
		},
	})
	return {
		api: {
			usageHistory: createHistoryReader({ store: kept, recorder, boundary, now }),
			health,
			flush: () => recorder.flush(),
		},
		observer: createVerifyObserver({ events, history: recorder, metrics, errors, reject: deps.reject }),
		lastUsedFailed(error) {
			metrics?.storeError('last_used')
			errors.report('last_used', 'last_used', error)
		},
		close: () => recorder.close(),
	}
}
