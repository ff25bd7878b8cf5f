import { beforeEach, describe, expect, it } from 'vitest'
import type { ConsumeAllResult, UsageCounter } from '../store-types.js'

/**
 * The `consumeAll` part of the {@link UsageCounter} contract, for counters that have it: every
 * counter or none, under concurrency, with no overshoot of any limit. Like keyward, the suite
 * gives every counter a group (an owner's: its keys' counters and its own), the same on every
 * call for the same counter.
 */
export function describeConsumeAll(current: () => UsageCounter, freshId: () => string): void {
	describe('consumeAll', () => {
		/** The owner of the counters of one test. */
		let group = ''
		beforeEach(() => {
			group = `acct-${freshId()}`
		})
		const all = (ids: string[], limits: number[], cost = 1, period = '2026-08') => {
			const counter = current()
			if (counter.consumeAll === undefined) throw new Error('no consumeAll')
			return counter.consumeAll(
				ids.map((id, i) => ({ id, limit: limits[i] as number, group })),
				period,
				cost,
			)
		}
		const read = (id: string) => current().consume(id, '2026-08', 0, Number.MAX_SAFE_INTEGER, group)

		it('counts every counter, or none when one of them would pass its limit', async () => {
			if (current().consumeAll === undefined) return
			const [key, owner] = [freshId(), `owner:${group}`]
			expect(await all([key, owner], [10, 2])).toEqual({ allowed: true, used: [1, 1] })
			expect(await all([key, owner], [10, 2])).toEqual({ allowed: true, used: [2, 2] })
			expect(await all([key, owner], [10, 2])).toEqual({ allowed: false, used: [2, 2] })
			expect(await read(key)).toEqual({ allowed: true, used: 2 })
			const other = freshId()
			expect(await all([other, owner], [10, 2])).toEqual({ allowed: false, used: [0, 2] })
			expect(await read(other)).toEqual({ allowed: true, used: 0 })
			expect(await all([key, owner], [10, 2], 0)).toEqual({ allowed: true, used: [2, 2] })
			// The key's own limit refuses, with a counter never used beside it.
			expect(await all([key, `${owner}-fresh`], [2, 100], 1)).toEqual({ allowed: false, used: [2, 0] })
		})

		it('agrees with consume on the same counters and keeps periods apart', async () => {
			if (current().consumeAll === undefined) return
			const [key, owner] = [freshId(), `owner:${group}`]
			await current().consume(key, '2026-08', 3, 10, group)
			expect(await all([key, owner], [4, 100])).toEqual({ allowed: true, used: [4, 1] })
			expect(await all([key, owner], [4, 100])).toEqual({ allowed: false, used: [4, 1] })
			expect(await all([key, owner], [4, 100], 1, '2026-09')).toEqual({ allowed: true, used: [1, 1] })
		})

		it('never passes either limit under concurrency, and loses no unit', async () => {
			if (current().consumeAll === undefined) return
			const owner = `owner:${group}`
			const keys = [freshId(), freshId(), freshId()]
			const calls: (ConsumeAllResult | Promise<ConsumeAllResult>)[] = []
			// An owner limit of 30 over three keys, one of which has a limit of its own (8).
			for (let i = 0; i < 60; i++) {
				const key = keys[i % 3] as string
				calls.push(all([key, owner], [key === keys[0] ? 8 : 1000, 30]))
			}
			const results = await Promise.all(calls)
			const allowed = results.filter((r) => r.allowed)
			expect(allowed).toHaveLength(30)
			expect(allowed.map((r) => r.used[1]).sort((a, b) => (a as number) - (b as number))).toEqual(
				Array.from({ length: 30 }, (_, i) => i + 1),
			)
			const used = await Promise.all(keys.map(async (k) => (await read(k)).used))
			expect(used[0]).toBeLessThanOrEqual(8)
			expect(used.reduce((a, b) => a + b, 0)).toBe(30)
			expect(await read(owner)).toEqual({ allowed: true, used: 30 })
		})
	})
}
