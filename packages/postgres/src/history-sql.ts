import type { UsageHistoryRange, UsageHistoryRow, UsageOutcome } from '@keyward/core/testing'
import type { TableNames } from './tables.js'

/** Columns of the usage history table, in the order of {@link toUsageRow}. */
const COLUMNS = 'bucket, key_id, owner, outcome, count'

/**
 * The statements of usage history over the tables `t`. A batch is one statement: five arrays
 * unnested, summed per (hour, key, outcome), then upserted in key order, so that instances
 * flushing at the same time lock rows in one order and never deadlock.
 */
export function historyStatements(t: TableNames) {
	return {
		record: `INSERT INTO ${t.usageHistory} AS h (${COLUMNS})
			SELECT to_timestamp(r.bucket_ms / 1000.0), r.key_id, max(r.owner), r.outcome, sum(r.count)::bigint
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[])
				AS r(bucket_ms, key_id, owner, outcome, count)
			GROUP BY r.bucket_ms, r.key_id, r.outcome
			ORDER BY r.key_id COLLATE "C", r.bucket_ms, r.outcome COLLATE "C"
			ON CONFLICT (key_id, bucket, outcome) DO UPDATE SET
				count = h.count + EXCLUDED.count,
				owner = CASE WHEN h.owner = '' THEN EXCLUDED.owner ELSE h.owner END`,
		byKey: `SELECT ${COLUMNS} FROM ${t.usageHistory} WHERE key_id = $1 AND bucket >= $2 AND bucket < $3`,
		byOwner: `SELECT ${COLUMNS} FROM ${t.usageHistory} WHERE owner = $1 AND bucket >= $2 AND bucket < $3`,
		prune: `WITH gone AS (DELETE FROM ${t.usageHistory} WHERE bucket < $1 RETURNING 1)
			SELECT count(*) AS deleted FROM gone`,
	}
}

/** The parameters of `record` for `rows`: one array per column. */
export function historyParams(rows: readonly UsageHistoryRow[]): unknown[] {
	return [
		rows.map((r) => r.bucket.getTime()),
		rows.map((r) => r.keyId),
		rows.map((r) => r.owner),
		rows.map((r) => r.outcome),
		rows.map((r) => r.count),
	]
}

/** The statement and parameters reading `range`. */
export function historyRead(
	sql: ReturnType<typeof historyStatements>,
	range: UsageHistoryRange,
): [string, unknown[]] {
	return range.keyId !== undefined
		? [sql.byKey, [range.keyId, range.from, range.to]]
		: [sql.byOwner, [range.owner, range.from, range.to]]
}

/** A row of the usage history table (pg returns int8 as text, PGlite as a number). */
export function toUsageRow(row: unknown): UsageHistoryRow {
	const r = row as Record<string, unknown>
	return {
		bucket: r.bucket instanceof Date ? r.bucket : new Date(String(r.bucket)),
		keyId: String(r.key_id),
		owner: String(r.owner),
		outcome: String(r.outcome) as UsageOutcome,
		count: Number(r.count),
	}
}
