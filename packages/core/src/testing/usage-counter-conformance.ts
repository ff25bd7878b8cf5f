import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { UsageCounter } from '../store-types.js'
import type { ConsumeResult } from '../types.js'
import { sampleRecord } from './sample-record.js'
import { describeConsumeAll } from './usage-counter-all.js'

/**
 * The behaviour every {@link UsageCounter} must have. The factory must return a counter for
 * each test (it may share state with earlier ones: every test uses fresh key ids); the suite
 * calls the counter's `close()` after each test.
 * @example
 * describe('MyCounter', () => runUsageCounterConformance(() => new MyCounter(client)))
 */
export function runUsageCounterConformance(factory: () => UsageCounter | Promise<UsageCounter>): void {
	describe('UsageCounter conformance', () => {
		let counter: UsageCounter
		let id: string
		beforeEach(async () => {
			counter = await factory()
			id = sampleRecord().id
		})
		afterEach(async () => {
			await counter.close?.()
		})

		describeConsumeAll(
			() => counter,
			() => sampleRecord().id,
		)

		const read = (keyId: string, period = '2026-08') =>
			counter.consume(keyId, period, 0, Number.MAX_SAFE_INTEGER)

		it('counts up to the limit and denies past it without changing anything', async () => {
			expect(await counter.consume(id, '2026-08', 1, 3)).toEqual({ allowed: true, used: 1 })
			expect(await counter.consume(id, '2026-08', 2, 3)).toEqual({ allowed: true, used: 3 })
			expect(await counter.consume(id, '2026-08', 1, 3)).toEqual({ allowed: false, used: 3 })
			expect(await counter.consume(id, '2026-08', 0, 3)).toEqual({ allowed: true, used: 3 })
		})

		it('denies a cost larger than what is left, and a zero limit denies everything', async () => {
			expect(await counter.consume(id, '2026-08', 2, 3)).toEqual({ allowed: true, used: 2 })
			expect(await counter.consume(id, '2026-08', 2, 3)).toEqual({ allowed: false, used: 2 })
			expect(await counter.consume(`${id}z`, '2026-08', 1, 0)).toEqual({ allowed: false, used: 0 })
			expect(await read(`${id}z`)).toEqual({ allowed: true, used: 0 })
		})

		it('a denial changes nothing, even for a key never counted', async () => {
			const fresh = `${id}d`
			expect(await counter.consume(fresh, '2026-08', 5, 4)).toEqual({ allowed: false, used: 0 })
			expect(await read(fresh)).toEqual({ allowed: true, used: 0 })
			expect(await counter.consume(fresh, '2026-08', 4, 4)).toEqual({ allowed: true, used: 4 })
			expect(await counter.consume(fresh, '2026-08', 1, 4)).toEqual({ allowed: false, used: 4 })
			expect(await read(fresh)).toEqual({ allowed: true, used: 4 })
		})

		it('reads with cost 0 without creating or changing a counter', async () => {
			expect(await counter.consume(id, '2026-08', 0, 10)).toEqual({ allowed: true, used: 0 })
			expect(await counter.consume(id, '2026-08', 1, 1)).toEqual({ allowed: true, used: 1 })
			expect(await counter.consume(id, '2026-08', 0, 10)).toEqual({ allowed: true, used: 1 })
		})

		it('keeps periods and keys apart (period rollover starts from zero)', async () => {
			await counter.consume(id, '2026-08', 2, 2)
			expect(await counter.consume(id, '2026-08', 1, 2)).toEqual({ allowed: false, used: 2 })
			expect(await counter.consume(id, '2026-09', 1, 2)).toEqual({ allowed: true, used: 1 })
			expect(await counter.consume(`${id}x`, '2026-08', 1, 2)).toEqual({ allowed: true, used: 1 })
			expect(await counter.consume(id, '2027-08', 2, 2)).toEqual({ allowed: true, used: 2 })
			expect(await read(id, '2026-08')).toEqual({ allowed: true, used: 2 })
		})

		it('counts large numbers exactly', async () => {
			const big = 2 ** 40
			expect(await counter.consume(id, '2026-08', big, Number.MAX_SAFE_INTEGER)).toEqual({
				allowed: true,
				used: big,
			})
			expect(await counter.consume(id, '2026-08', 3, Number.MAX_SAFE_INTEGER)).toEqual({
				allowed: true,
				used: big + 3,
			})
		})

		it('never exceeds the limit and never loses an increment under concurrency', async () => {
			const results = await Promise.all(
				Array.from({ length: 50 }, () => counter.consume(id, '2026-08', 1, 20)),
			)
			const allowed = results.filter((r) => r.allowed)
			expect(allowed).toHaveLength(20)
			// Each success saw a different count: 1..20. Each denial saw a full counter.
			expect(allowed.map((r) => r.used).sort((a, b) => a - b)).toEqual(
				Array.from({ length: 20 }, (_, i) => i + 1),
			)
			for (const r of results) if (!r.allowed) expect(r).toEqual({ allowed: false, used: 20 })
			expect(await counter.consume(id, '2026-08', 0, 20)).toEqual({ allowed: true, used: 20 })
			const other = `${id}c`
			const all = await Promise.all(
				Array.from({ length: 40 }, () => counter.consume(other, '2026-08', 1, 1000)),
			)
			expect(all.every((r) => r.allowed)).toBe(true)
			expect(new Set(all.map((r) => r.used)).size).toBe(40)
			expect(await read(other)).toEqual({ allowed: true, used: 40 })
		})

		it('stays exact under concurrency with costs above one and many keys at once', async () => {
			const keys = [`${id}m0`, `${id}m1`, `${id}m2`]
			const calls: (ConsumeResult | Promise<ConsumeResult>)[] = []
			for (let i = 0; i < 30; i++) for (const key of keys) calls.push(counter.consume(key, '2026-08', 3, 50))
			const results = await Promise.all(calls)
			expect(results.filter((r) => r.allowed)).toHaveLength(16 * keys.length)
			for (const r of results) if (!r.allowed) expect(r.used + 3).toBeGreaterThan(50)
			for (const key of keys) expect(await read(key)).toEqual({ allowed: true, used: 48 })
		})
	})
}
