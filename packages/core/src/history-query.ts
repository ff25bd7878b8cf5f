import { KeywardError } from './errors.js'
import { DAY_MS, type HistoryRecorder, HOUR_MS } from './history-recorder.js'
import {
	USAGE_OUTCOMES,
	type UsageBucket,
	type UsageCounts,
	type UsageHistory,
	type UsageHistoryQuery,
	type UsageHistoryRange,
	type UsageHistoryRow,
	type UsageHistoryStore,
	type UsageOutcome,
} from './history-types.js'
import { checkText } from './records.js'
import type { StoreBoundary } from './store-boundary.js'

/** Most buckets one answer holds (1,000 days, or 41 days of hours). */
const MAX_BUCKETS = 1000
/** Key ids are base62; anything else (a key's text, for one) is refused before it reaches a store. */
const KEY_ID = /^[0-9A-Za-z]{1,64}$/
const OUTCOMES: ReadonlySet<string> = new Set(USAGE_OUTCOMES)

const invalid = (message: string) => new KeywardError('invalid_argument', message)

/** A query made exact: who, bucket size, and the range in bucket boundaries. */
interface ResolvedQuery {
	readonly range: UsageHistoryRange
	readonly granularity: 'hour' | 'day'
	readonly size: number
}

function instant(value: unknown, name: string): number {
	if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw invalid(`${name} must be a valid Date`)
	return value.getTime()
}

/** Validate `query` and cut its range on bucket boundaries (UTC hours or days). */
export function resolveQuery(query: Readonly<UsageHistoryQuery>, nowMs: number): ResolvedQuery {
	if (typeof query !== 'object' || query === null) throw invalid('usageHistory expects a query object')
	const { key, owner } = query
	if ((key === undefined) === (owner === undefined)) throw invalid('Give exactly one of key and owner')
	if (key !== undefined && (typeof key !== 'string' || !KEY_ID.test(key)))
		throw invalid('key must be a key id')
	const granularity = query.granularity ?? 'day'
	if (granularity !== 'hour' && granularity !== 'day') throw invalid('granularity must be "hour" or "day"')
	const size = granularity === 'day' ? DAY_MS : HOUR_MS
	const toMs =
		query.to === undefined
			? Math.floor(nowMs / size) * size + size
			: Math.ceil(instant(query.to, 'to') / size) * size
	if (query.from !== undefined && query.days !== undefined) throw invalid('Give from or days, not both')
	const days = query.days ?? (granularity === 'day' ? 30 : 1)
	if (typeof days !== 'number' || !Number.isSafeInteger(days) || days < 1) {
		throw invalid('days must be a whole number of at least 1')
	}
	const fromMs =
		Math.floor((query.from === undefined ? toMs - days * DAY_MS : instant(query.from, 'from')) / size) * size
	if (fromMs >= toMs) throw invalid('from must be before to')
	if ((toMs - fromMs) / size > MAX_BUCKETS) throw invalid(`A history holds at most ${MAX_BUCKETS} buckets`)
	const who = key !== undefined ? { keyId: key } : { owner: checkText(owner, 'owner', 256, true) as string }
	return { range: { ...who, from: new Date(fromMs), to: new Date(toMs) }, granularity, size }
}

function emptyCounts(): UsageCounts {
	return { requests: 0, ok: 0, refused: 0, outcomes: {} }
}

function add(counts: UsageCounts, outcome: UsageOutcome, count: number): void {
	counts.requests += count
	if (outcome === 'ok') counts.ok += count
	else counts.refused += count
	counts.outcomes[outcome] = (counts.outcomes[outcome] ?? 0) + count
}

/** A row as a store should answer it; anything else means the store is failing. */
function isRow(value: unknown): value is UsageHistoryRow {
	const r = value as Partial<UsageHistoryRow> | null
	return (
		typeof r === 'object' &&
		r !== null &&
		r.bucket instanceof Date &&
		typeof r.keyId === 'string' &&
		typeof r.outcome === 'string' &&
		Number.isSafeInteger(r.count) &&
		(r.count as number) >= 0
	)
}

/** Sum `rows` into the buckets of `query`; outcomes this release does not know are left out. */
export function summarise(
	query: ResolvedQuery,
	rows: Iterable<UsageHistoryRow>,
): Pick<UsageHistory, 'buckets' | 'total'> {
	const fromMs = query.range.from.getTime()
	const count = (query.range.to.getTime() - fromMs) / query.size
	const buckets: UsageBucket[] = Array.from({ length: count }, (_, i) => ({
		start: new Date(fromMs + i * query.size),
		...emptyCounts(),
	}))
	const total = emptyCounts()
	for (const row of rows) {
		const bucket = buckets[Math.floor((row.bucket.getTime() - fromMs) / query.size)]
		if (bucket === undefined || !OUTCOMES.has(row.outcome)) continue
		add(bucket, row.outcome, row.count)
		add(total, row.outcome, row.count)
	}
	return { buckets, total }
}

/** What {@link createHistoryReader} needs from the keyward that wires it. */
export interface HistoryReaderDeps {
	/** Where history is kept; `undefined` when the store keeps none. */
	readonly store: UsageHistoryStore | undefined
	readonly recorder: HistoryRecorder
	readonly boundary: StoreBoundary
	readonly now: () => number
}

/**
 * `keyward.usageHistory`: the stored hours of one key or owner plus this instance's counts not
 * written yet, summed into hours or days. Other instances' unwritten counts show after their
 * next flush.
 */
export function createHistoryReader(
	deps: HistoryReaderDeps,
): (query: Readonly<UsageHistoryQuery>) => Promise<UsageHistory> {
	return async function usageHistory(query) {
		const resolved = resolveQuery(query, deps.now())
		const store = deps.store
		if (store === undefined) {
			throw new KeywardError(
				'not_supported',
				'The key store keeps no usage history (it has no recordUsage, readUsage and pruneUsage)',
			)
		}
		const stored: unknown = await deps.boundary.call(() => store.readUsage(resolved.range))
		if (!Array.isArray(stored) || !stored.every(isRow)) {
			throw new KeywardError('store_unavailable', 'Key store unavailable', {
				cause: new Error('the store answered readUsage with something other than rows'),
			})
		}
		const { range, granularity } = resolved
		const rows = [...stored, ...deps.recorder.pending(range)]
		return {
			key: range.keyId ?? null,
			owner: range.owner ?? null,
			granularity,
			from: range.from,
			to: range.to,
			...summarise(resolved, rows),
		}
	}
}
