import type { ErrorReporter } from './error-reports.js'
import {
	type HistoryStatus,
	USAGE_OUTCOMES,
	type UsageHistoryRange,
	type UsageHistoryRow,
	type UsageHistoryStore,
	type UsageOutcome,
} from './history-types.js'
import type { KeywardMetrics } from './metrics.js'

/** Milliseconds in an hour: the size of a stored bucket. */
export const HOUR_MS = 3_600_000
/** Milliseconds in a day. */
export const DAY_MS = 86_400_000
/** Rows per `recordUsage` call: one statement each, whatever the store. */
const BATCH_ROWS = 5000

/** Index of each outcome in a counter's array. */
const INDEX = Object.fromEntries(USAGE_OUTCOMES.map((outcome, i) => [outcome, i])) as Record<
	UsageOutcome,
	number
>

/** One key's counts in one hour, by outcome index; `owner` is resolved when first known. */
interface Counter {
	owner: string | null
	readonly counts: Float64Array
}

/** A row before its owner is known. */
interface Draft {
	bucket: number
	keyId: string
	owner: string | null
	outcome: UsageOutcome
	count: number
}

/** What {@link createHistoryRecorder} needs from the keyward that wires it. */
export interface HistoryRecorderDeps {
	/** Where to write; `undefined` records nothing. */
	readonly store: UsageHistoryStore | undefined
	readonly flushIntervalMs: number
	readonly retentionDays: number
	readonly maxPending: number
	readonly guard: <T>(answer: PromiseLike<T>) => Promise<T>
	readonly errors: ErrorReporter
	readonly metrics: KeywardMetrics | undefined
	readonly now: () => number
	/** The owner of key `id` as this instance has it cached, without I/O. */
	ownerOf(id: string): string | undefined
	/** The owner of key `id` from the key store; `null` when the key is gone. */
	findOwner(id: string): Promise<string | null>
}

/** Counts verifications in memory by hour, key and outcome, and writes them in batches. */
export interface HistoryRecorder {
	/** Whether verifications are counted (a store to write to, and `history` not `false`). */
	readonly enabled: boolean
	/** Count one verification of key `keyId` (owner when known) at `nowMs`. Synchronous, never throws. */
	record(keyId: string, owner: string | undefined, outcome: UsageOutcome, nowMs: number): void
	/** Write what is pending now; never rejects (failures keep the counts and are reported). */
	flush(): Promise<void>
	/** Stop the timer and flush. */
	close(): Promise<void>
	/** Counts not written yet whose hour lies in `range`, for reads that include them. */
	pending(range: UsageHistoryRange): UsageHistoryRow[]
	status(): HistoryStatus
}

const DISABLED: HistoryRecorder = Object.freeze({
	enabled: false,
	record() {},
	flush: async () => {},
	close: async () => {},
	pending: () => [],
	status: () => ({ enabled: false, pending: 0, dropped: 0, lastFlushAt: null }),
})

/**
 * The recorder of one keyward. On the request path a verification costs a map lookup and an
 * increment: a counter is allocated once per key and hour, never per request. A timer (unref'd)
 * flushes every `flushIntervalMs`; a failed write keeps its counts for the next flush (up to
 * `maxPending` counters; past that, counts are dropped and reported) and never reaches a request.
 */
export function createHistoryRecorder(deps: HistoryRecorderDeps): HistoryRecorder {
	const { store, errors, metrics, now } = deps
	if (store === undefined) return DISABLED
	let buckets = new Map<number, Map<string, Counter>>()
	let counters = 0
	// The hour most requests fall in, so the steady path skips the bucket lookup.
	let current: Map<string, Counter> | undefined
	let currentStart = 0
	let unreported = 0
	let dropped = 0
	let lastFlushAt: number | null = null
	let lastPruneAt = Number.NEGATIVE_INFINITY
	let timer: ReturnType<typeof setInterval> | undefined
	let closed = false
	let chain: Promise<void> = Promise.resolve()

	function hour(nowMs: number): Map<string, Counter> {
		const start = nowMs - (((nowMs % HOUR_MS) + HOUR_MS) % HOUR_MS)
		let keys = buckets.get(start)
		if (keys === undefined) {
			keys = new Map()
			buckets.set(start, keys)
		}
		current = keys
		currentStart = start
		return keys
	}

	function counter(keys: Map<string, Counter>, keyId: string, owner: string | null): Counter | undefined {
		let found = keys.get(keyId)
		if (found === undefined) {
			if (counters >= deps.maxPending) return undefined
			found = { owner, counts: new Float64Array(USAGE_OUTCOMES.length) }
			keys.set(keyId, found)
			counters++
			if (timer === undefined && !closed) {
				timer = setInterval(() => void flush(), deps.flushIntervalMs)
				timer.unref()
			}
		}
		return found
	}

	function record(keyId: string, owner: string | undefined, outcome: UsageOutcome, nowMs: number): void {
		const keys =
			current !== undefined && nowMs >= currentStart && nowMs - currentStart < HOUR_MS ? current : hour(nowMs)
		let found = keys.get(keyId)
		if (found === undefined) {
			found = counter(keys, keyId, owner ?? deps.ownerOf(keyId) ?? null)
			if (found === undefined) {
				unreported++
				dropped++
				return
			}
		} else if (found.owner === null && owner !== undefined) found.owner = owner
		const i = outcome === 'ok' ? 0 : INDEX[outcome]
		found.counts[i] = (found.counts[i] as number) + 1
	}

	/** Put rows that could not be written back, merged with what was counted since. */
	function restore(rows: readonly Draft[]): void {
		for (const row of rows) {
			let keys = buckets.get(row.bucket)
			if (keys === undefined) {
				keys = new Map()
				buckets.set(row.bucket, keys)
			}
			const found = counter(keys, row.keyId, row.owner)
			if (found === undefined) {
				unreported += row.count
				dropped += row.count
				continue
			}
			found.owner ??= row.owner
			const i = INDEX[row.outcome]
			found.counts[i] = (found.counts[i] as number) + row.count
		}
	}

	/** Every count of the hours `from` to `to` (exclusive) whose key `wanted` picks, as rows. */
	function drafts(from: number, to: number, wanted: (keyId: string, found: Counter) => boolean): Draft[] {
		const rows: Draft[] = []
		for (const [bucket, keys] of buckets) {
			if (bucket < from || bucket >= to) continue
			for (const [keyId, found] of keys) {
				if (!wanted(keyId, found)) continue
				found.counts.forEach((count, i) => {
					const outcome = USAGE_OUTCOMES[i] as UsageOutcome
					if (count > 0) rows.push({ bucket, keyId, owner: found.owner, outcome, count })
				})
			}
		}
		return rows
	}

	function take(): Draft[] {
		const rows = drafts(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, () => true)
		buckets = new Map()
		counters = 0
		current = undefined
		return rows
	}

	async function resolveOwners(rows: Draft[]): Promise<void> {
		const unknown = new Set<string>()
		for (const row of rows) if (row.owner === null) unknown.add(row.keyId)
		const owners = new Map<string, string>()
		await Promise.all(
			[...unknown].map(async (id) => {
				owners.set(id, deps.ownerOf(id) ?? (await deps.findOwner(id)) ?? '')
			}),
		)
		for (const row of rows) row.owner ??= owners.get(row.keyId) ?? ''
	}

	function fail(error: unknown): void {
		metrics?.storeError('history')
		errors.report('history', 'history', error)
	}

	async function write(nowMs: number): Promise<boolean> {
		const rows = take()
		if (rows.length === 0) return false
		try {
			await resolveOwners(rows)
		} catch (error) {
			restore(rows)
			fail(error)
			return false
		}
		for (let i = 0; i < rows.length; i += BATCH_ROWS) {
			const batch = rows.slice(i, i + BATCH_ROWS).map(
				(row): UsageHistoryRow => ({
					bucket: new Date(row.bucket),
					keyId: row.keyId,
					owner: row.owner ?? '',
					outcome: row.outcome,
					count: row.count,
				}),
			)
			try {
				await deps.guard((store as UsageHistoryStore).recordUsage(batch))
			} catch (error) {
				// Earlier batches are written; this one and the rest wait for the next flush.
				restore(rows.slice(i))
				fail(error)
				return false
			}
		}
		lastFlushAt = nowMs
		return true
	}

	/** Delete hours past the retention, at most once an hour, by an instance that writes history. */
	async function prune(nowMs: number): Promise<void> {
		if (nowMs - lastPruneAt < HOUR_MS) return
		lastPruneAt = nowMs
		const before = nowMs - (nowMs % HOUR_MS) - deps.retentionDays * DAY_MS
		try {
			await deps.guard((store as UsageHistoryStore).pruneUsage(new Date(before)))
		} catch (error) {
			fail(error)
		}
	}

	async function writePending(): Promise<void> {
		const nowMs = now()
		if (await write(nowMs)) await prune(nowMs)
		if (unreported > 0) {
			const message = `usage history dropped ${unreported} verification counts: ${deps.maxPending} counters were waiting for the store (history.maxPending)`
			// Counted until reported: an outage's drops add up in the next report.
			if (errors.report('history_dropped', 'history', new Error(message))) unreported = 0
		}
	}

	function flush(): Promise<void> {
		chain = chain.then(writePending)
		return chain
	}

	return {
		enabled: true,
		record,
		flush,
		async close() {
			closed = true
			if (timer !== undefined) clearInterval(timer)
			timer = undefined
			await flush()
		},
		pending(range) {
			const ownerOf = (keyId: string, found: Counter) => found.owner ?? deps.ownerOf(keyId) ?? ''
			const wanted = (keyId: string, found: Counter) =>
				(range.keyId === undefined || keyId === range.keyId) &&
				(range.owner === undefined || ownerOf(keyId, found) === range.owner)
			return drafts(range.from.getTime(), range.to.getTime(), wanted).map((row) => ({
				...row,
				bucket: new Date(row.bucket),
				owner: row.owner ?? deps.ownerOf(row.keyId) ?? '',
			}))
		},
		status: () => ({
			enabled: true,
			pending: counters,
			dropped,
			lastFlushAt: lastFlushAt === null ? null : new Date(lastFlushAt),
		}),
	}
}
