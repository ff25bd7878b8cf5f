import type { UsageHistoryRange, UsageHistoryRow } from './history-types.js'

/** A stored row; `count` grows in place. */
interface StoredRow {
	readonly bucket: number
	readonly keyId: string
	owner: string
	readonly outcome: UsageHistoryRow['outcome']
	count: number
}

/**
 * Usage history in process: rows by hour, then by key and outcome. A batch is added in one
 * synchronous step, so it is atomic and concurrent batches never lose a count.
 */
export class MemoryUsageHistory {
	readonly #hours = new Map<number, Map<string, StoredRow>>()

	record(rows: readonly UsageHistoryRow[]): void {
		for (const row of rows) {
			const bucket = row.bucket.getTime()
			let hour = this.#hours.get(bucket)
			if (hour === undefined) {
				hour = new Map()
				this.#hours.set(bucket, hour)
			}
			// Outcomes never contain a space: the last one separates the key id from the outcome.
			const id = `${row.keyId} ${row.outcome}`
			const stored = hour.get(id)
			if (stored === undefined) {
				const { keyId, owner, outcome, count } = row
				hour.set(id, { bucket, keyId, owner, outcome, count })
			} else {
				stored.count += row.count
				if (stored.owner === '') stored.owner = row.owner
			}
		}
	}

	read(range: UsageHistoryRange): UsageHistoryRow[] {
		const from = range.from.getTime()
		const to = range.to.getTime()
		const out: UsageHistoryRow[] = []
		for (const [bucket, hour] of this.#hours) {
			if (bucket < from || bucket >= to) continue
			for (const row of hour.values()) {
				if (range.keyId !== undefined && row.keyId !== range.keyId) continue
				if (range.owner !== undefined && row.owner !== range.owner) continue
				const { keyId, owner, outcome, count } = row
				out.push({ bucket: new Date(bucket), keyId, owner, outcome, count })
			}
		}
		return out
	}

	prune(before: Date): number {
		let deleted = 0
		for (const [bucket, hour] of this.#hours) {
			if (bucket >= before.getTime()) continue
			deleted += hour.size
			this.#hours.delete(bucket)
		}
		return deleted
	}
}
