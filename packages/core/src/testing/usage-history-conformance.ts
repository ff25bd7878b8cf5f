import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { UsageHistoryRange, UsageHistoryRow, UsageHistoryStore } from '../history-types.js'
import { sampleRecord } from './sample-record.js'

/** Start of hour `n` of 2026-11-15 (UTC); negative and large `n` reach other days. */
function hour(n: number, year = 2026): Date {
	return new Date(Date.UTC(year, 10, 15, n))
}

/** Rows in one order, with instants as text, so that any store's answer compares equal. */
function normal(rows: readonly UsageHistoryRow[]) {
	return rows
		.map((r) => ({
			bucket: r.bucket.toISOString(),
			keyId: r.keyId,
			owner: r.owner,
			outcome: r.outcome,
			count: r.count,
		}))
		.sort((a, b) =>
			`${a.bucket} ${a.keyId} ${a.outcome}`.localeCompare(`${b.bucket} ${b.keyId} ${b.outcome}`),
		)
}

/**
 * The behaviour every {@link UsageHistoryStore} must have: batches added atomically and exactly,
 * reads by key or owner over a range of hours, pruning. The factory may return the same store
 * for every test (each test uses fresh key ids and owners); the suite calls its `close()` (when it
 * has one) after each test.
 * @example
 * describe('MyStore', () => runUsageHistoryConformance(() => new MyStore(client)))
 */
export function runUsageHistoryConformance(
	factory: () => UsageHistoryStore | Promise<UsageHistoryStore>,
): void {
	describe('UsageHistoryStore conformance', () => {
		let store: UsageHistoryStore
		let key: string
		let owner: string
		beforeEach(async () => {
			store = await factory()
			key = sampleRecord().id
			owner = `acct-${sampleRecord().id}`
		})
		afterEach(async () => {
			await (store as { close?: () => Promise<void> }).close?.()
		})

		const row = (fields: Partial<UsageHistoryRow> = {}): UsageHistoryRow => ({
			bucket: hour(0),
			keyId: key,
			owner,
			outcome: 'ok',
			count: 1,
			...fields,
		})
		const read = async (range: UsageHistoryRange) => normal(await store.readUsage(range))

		it('reads back what it recorded, by key and by owner, for hours in [from, to)', async () => {
			const other = `${key}b`
			await store.recordUsage([
				row({ bucket: hour(0), count: 3 }),
				row({ bucket: hour(1), outcome: 'quota_exceeded', count: 2 }),
				row({ bucket: hour(2), count: 5 }),
				row({ bucket: hour(1), keyId: other, count: 7 }),
			])
			expect(await read({ keyId: key, from: hour(0), to: hour(2) })).toEqual(
				normal([
					row({ bucket: hour(0), count: 3 }),
					row({ bucket: hour(1), outcome: 'quota_exceeded', count: 2 }),
				]),
			)
			expect(await read({ owner, from: hour(1), to: hour(3) })).toEqual(
				normal([
					row({ bucket: hour(1), outcome: 'quota_exceeded', count: 2 }),
					row({ bucket: hour(1), keyId: other, count: 7 }),
					row({ bucket: hour(2), count: 5 }),
				]),
			)
			const bucket = (await store.readUsage({ keyId: key, from: hour(0), to: hour(1) }))[0]?.bucket
			expect(bucket).toBeInstanceOf(Date)
			expect(await read({ keyId: `${key}none`, from: hour(0), to: hour(24) })).toEqual([])
			expect(await read({ owner: `${owner}none`, from: hour(0), to: hour(24) })).toEqual([])
		})

		it('adds the counts of one hour, key and outcome, across batches and within a batch', async () => {
			await store.recordUsage([row({ count: 2 }), row({ count: 3 })])
			await store.recordUsage([row({ count: 10 }), row({ outcome: 'revoked', count: 1 })])
			expect(await read({ keyId: key, from: hour(0), to: hour(1) })).toEqual(
				normal([row({ count: 15 }), row({ outcome: 'revoked', count: 1 })]),
			)
		})

		it('keeps hours, keys, owners and outcomes apart, across days and years', async () => {
			const rows = [
				row({ bucket: hour(-1) }),
				row({ bucket: hour(23), outcome: 'insufficient_scope' }),
				row({ bucket: hour(24), outcome: 'unavailable' }),
				row({ bucket: hour(0, 2027), count: 4 }),
				row({ keyId: `${key}x`, owner: `${owner}x` }),
			]
			await store.recordUsage(rows)
			expect(await read({ keyId: key, from: hour(-48), to: hour(0, 2028) })).toEqual(normal(rows.slice(0, 4)))
			expect(await read({ owner: `${owner}x`, from: hour(0), to: hour(1) })).toEqual(normal(rows.slice(4)))
		})

		it('counts large numbers exactly, and accepts an empty batch', async () => {
			const big = 2 ** 40
			await store.recordUsage([row({ count: big })])
			await store.recordUsage([])
			await store.recordUsage([row({ count: 3 })])
			expect(await read({ keyId: key, from: hour(0), to: hour(1) })).toEqual(
				normal([row({ count: big + 3 })]),
			)
		})

		it('loses no count when batches are recorded concurrently', async () => {
			const keys = [key, `${key}m`, `${key}n`]
			const batch = keys.flatMap((keyId) => [row({ keyId }), row({ keyId, outcome: 'expired', count: 2 })])
			// Each batch holds the same rows in another order, as instances flushing at once would.
			await Promise.all(
				Array.from({ length: 20 }, (_, i) => store.recordUsage(i % 2 === 0 ? batch : [...batch].reverse())),
			)
			expect(await read({ owner, from: hour(0), to: hour(1) })).toEqual(
				normal(
					keys.flatMap((keyId) => [row({ keyId, count: 20 }), row({ keyId, outcome: 'expired', count: 40 })]),
				),
			)
		})

		it('prunes the hours before an instant, and only those', async () => {
			// 1999: no other test writes there, so the count deleted is this test's alone.
			await store.recordUsage([
				row({ bucket: hour(0, 1999) }),
				row({ bucket: hour(1, 1999), outcome: 'revoked' }),
				row({ bucket: hour(1, 1999), keyId: `${key}p` }),
				row({ bucket: hour(2, 1999) }),
			])
			expect(await store.pruneUsage(hour(2, 1999))).toBe(3)
			expect(await read({ owner, from: hour(0, 1999), to: hour(24, 1999) })).toEqual(
				normal([row({ bucket: hour(2, 1999) })]),
			)
			expect(await store.pruneUsage(hour(2, 1999))).toBe(0)
		})
	})
}
