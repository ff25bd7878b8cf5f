import { REJECT_CODES, type RejectCode } from './wire.js'

/** How a verification ended, as usage history counts it: `'ok'`, or the refusal's code. */
export type UsageOutcome = 'ok' | RejectCode

/** Every {@link UsageOutcome}: `'ok'` first, then the refusal codes in the order of `REJECTIONS`. */
export const USAGE_OUTCOMES: readonly UsageOutcome[] = Object.freeze(['ok', ...REJECT_CODES])

/** One hour of one key's verifications with one outcome, as a {@link UsageHistoryStore} keeps it. */
export interface UsageHistoryRow {
	/** Start of the hour (UTC, on the hour). */
	readonly bucket: Date
	readonly keyId: string
	/** Owner of the key (`''` when the key was unknown by the time the row was written). */
	readonly owner: string
	readonly outcome: UsageOutcome
	/** Verifications counted; a positive integer. */
	readonly count: number
}

/** Filter of {@link UsageHistoryStore.readUsage}: one key or one owner, hours in `[from, to)`. */
export interface UsageHistoryRange {
	/** Only rows of this key id (exclusive with `owner`). */
	readonly keyId?: string | undefined
	/** Only rows of keys of this owner (exclusive with `keyId`). */
	readonly owner?: string | undefined
	/** First hour wanted (inclusive, on the hour). */
	readonly from: Date
	/** End of the range (exclusive, on the hour). */
	readonly to: Date
}

/**
 * Where usage history is kept: hourly counts per key and outcome. A `KeyStore` that implements
 * these methods keeps a keyward's history (`MemoryStore` and `PostgresStore` do);
 * `runUsageHistoryConformance` from `@keyward/core/testing` checks them.
 */
export interface UsageHistoryStore {
	/**
	 * Add every row's `count` to the stored count of its hour, key and outcome (creating it when
	 * missing), atomically: the whole batch or nothing. Rows of one batch may repeat a
	 * (bucket, key, outcome): their counts add up. Concurrent batches never lose a count.
	 */
	recordUsage(rows: readonly UsageHistoryRow[]): Promise<void>
	/** The stored rows of one key or one owner whose hour lies in `[from, to)`, in any order. */
	readUsage(range: UsageHistoryRange): Promise<UsageHistoryRow[]>
	/** Delete the rows of hours before `before`; resolves to how many rows were deleted. */
	pruneUsage(before: Date): Promise<number>
}

/** Options of usage history (`createKeyward({ history })`); `false` records nothing. */
export interface HistoryOptions {
	/**
	 * How often counts kept in memory are written to the store, in one batch. A crash loses at most
	 * this much history (counts of the last interval), never quota counts. @defaultValue 60000
	 */
	flushIntervalMs?: number | undefined
	/** Hours older than this many days are deleted, at most once an hour, while flushing. @defaultValue 90 */
	retentionDays?: number | undefined
	/**
	 * Most (hour, key) counters kept in memory while the store cannot be written. Past it, new
	 * counts are dropped, counted, and reported through the `error` event. @defaultValue 100000
	 */
	maxPending?: number | undefined
	/** Where history is written and read. @defaultValue the keyward's `store`, when it is a {@link UsageHistoryStore} */
	store?: UsageHistoryStore | undefined
}

/** What {@link Keyward.usageHistory} reads: one key or one owner, over a range of hours or days (UTC). */
export interface UsageHistoryQuery {
	/** A key id (history outlives keys: a deleted key's id still answers). Exclusive with `owner`. */
	key?: string | undefined
	/** An owner: every key of it together. Exclusive with `key`. */
	owner?: string | undefined
	/** Bucket size: UTC hours or UTC days. @defaultValue 'day' */
	granularity?: 'hour' | 'day' | undefined
	/** End of the range (exclusive), rounded up to a bucket boundary. @defaultValue the end of the current bucket */
	to?: Date | undefined
	/** Start of the range, rounded down to a bucket boundary. Exclusive with `days`. */
	from?: Date | undefined
	/** Length of the range in days, ending at `to`. @defaultValue 30 for days, 1 for hours */
	days?: number | undefined
}

/** Verifications counted in a bucket or a range. */
export interface UsageCounts {
	/** Every verification counted. */
	requests: number
	/** Verifications that succeeded. */
	ok: number
	/** Verifications refused (`requests - ok`). */
	refused: number
	/** Counts by outcome; outcomes that did not happen are absent. */
	outcomes: Partial<Record<UsageOutcome, number>>
}

/** One hour or day of a {@link UsageHistory}. */
export interface UsageBucket extends UsageCounts {
	/** Start of the bucket (UTC). */
	start: Date
}

/** Answer of {@link Keyward.usageHistory}. */
export interface UsageHistory {
	/** The key asked about, or `null`. */
	key: string | null
	/** The owner asked about, or `null`. */
	owner: string | null
	granularity: 'hour' | 'day'
	/** Start of the first bucket. */
	from: Date
	/** End of the last bucket (exclusive). */
	to: Date
	/** Every bucket of the range, oldest first, empty ones included. */
	buckets: UsageBucket[]
	/** The whole range. */
	total: UsageCounts
}

/** `true` when `store` has every method of a {@link UsageHistoryStore}. */
export function isUsageHistoryStore(store: unknown): store is UsageHistoryStore {
	const s = store as Partial<UsageHistoryStore> | null | undefined
	return (
		typeof s?.recordUsage === 'function' &&
		typeof s.readUsage === 'function' &&
		typeof s.pruneUsage === 'function'
	)
}

/** State of the recorder, for `health()`. */
export interface HistoryStatus {
	/** Whether verifications are counted. */
	readonly enabled: boolean
	/** (hour, key) counters waiting to be written. */
	readonly pending: number
	/** Verifications not counted since start, because `maxPending` counters were waiting. */
	readonly dropped: number
	/** When a flush last wrote everything it had (the keyward's clock); `null` before. */
	readonly lastFlushAt: Date | null
}
