import { MemoryStore } from '@keyward/core'
import { type ConsumeAllResult, runUsageCounterConformance } from '@keyward/core/testing'
import { probeRedis, redisUrl, uniqueName, useService } from '@keyward/internal-testing'
import { defaultCounterExpiry, RedisUsageCounter } from '@keyward/redis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteKeys } from './fixtures/cleanup.js'

const available = useService(await probeRedis())

describe('defaultCounterExpiry', () => {
	const now = Date.UTC(2026, 10, 20)
	it('expires a month period after its end for every anchor day and time zone', () => {
		expect(defaultCounterExpiry('2026-11', now)).toEqual(new Date(Date.UTC(2027, 0, 2)))
		expect(defaultCounterExpiry('2026-12', now)).toEqual(new Date(Date.UTC(2027, 1, 2)))
		// Latest possible end of '2027-01': anchor day 28 in UTC-12, i.e. 2027-02-28T12:00Z.
		expect(defaultCounterExpiry('2027-01', now).getTime()).toBeGreaterThan(Date.UTC(2027, 1, 28, 12))
	})
	it('keeps a past or unknown period for a while', () => {
		expect(defaultCounterExpiry('2020-01', now)).toEqual(new Date(now + 86_400_000))
		expect(defaultCounterExpiry('week-47', now)).toEqual(new Date(now + 62 * 86_400_000))
	})
})

describe.skipIf(!available)('RedisUsageCounter on Redis', () => {
	const prefix = `${uniqueName('kwtest')}:`
	const client = createClient({ url: redisUrl })
	client.on('error', () => {})

	beforeAll(async () => {
		await client.connect()
	})
	afterAll(async () => {
		await deleteKeys(client, prefix)
		await client.close()
	})

	runUsageCounterConformance(() => new RedisUsageCounter({ client, prefix }))

	it('keeps one key per key id and period, cluster-safe, expiring after the period', async () => {
		const now = Date.UTC(2026, 10, 20)
		const counter = new RedisUsageCounter({ client, prefix, now: () => now })
		expect(counter.keyFor('abc', '2026-11')).toBe(`${prefix}usage:{abc}:2026-11`)
		await counter.consume('abc', '2026-11', 1, 5)
		const expireAt = await client.sendCommand<number>(['EXPIRETIME', `${prefix}usage:{abc}:2026-11`])
		expect(expireAt * 1000).toBe(Date.UTC(2027, 0, 2))
		// A denial and a read write nothing: no key for a key id that was never counted.
		await counter.consume('never', '2026-11', 9, 5)
		await counter.consume('never', '2026-11', 0, 5)
		expect(await client.exists(`${prefix}usage:{never}:2026-11`)).toBe(0)
	})

	it('counts a key and its owner in one script, each in its own key, expiring after the period', async () => {
		const now = Date.UTC(2026, 10, 20)
		const counter = new RedisUsageCounter({ client, prefix, now: () => now })
		const owner = { id: 'owner:o1', limit: 3 }
		expect(await counter.consumeAll([{ id: 'k1', limit: 10 }, owner], '2026-11', 2)).toEqual({
			allowed: true,
			used: [2, 2],
		})
		for (const id of ['k1', 'owner:o1']) {
			const key = `${prefix}usage:{${id}}:2026-11`
			expect(counter.keyFor(id, '2026-11')).toBe(key)
			expect(await client.get(key)).toBe('2')
			expect((await client.sendCommand<number>(['EXPIRETIME', key])) * 1000).toBe(Date.UTC(2027, 0, 2))
		}
		// A denial and a read write nothing: no key for a key id that was never counted.
		expect(await counter.consumeAll([{ id: 'k2', limit: 10 }, owner], '2026-11', 2)).toEqual({
			allowed: false,
			used: [0, 2],
		})
		expect(await counter.consumeAll([{ id: 'k2', limit: 10 }, owner], '2026-11', 0)).toEqual({
			allowed: true,
			used: [0, 2],
		})
		expect(await client.exists(`${prefix}usage:{k2}:2026-11`)).toBe(0)
	})

	it('answers like MemoryStore for a counter given twice, three counters and large counts', async () => {
		const counter = new RedisUsageCounter({ client, prefix })
		const memory = new MemoryStore()
		const big = 2 ** 40
		const calls: [string[], number[], number][] = [
			[['twice', 'twice'], [5, 5], 1],
			[['twice', 'twice'], [5, 1], 1],
			[['a3', 'b3', 'owner:c3'], [10, 4, 6], 4],
			[['a3', 'b3', 'owner:c3'], [10, 4, 6], 1],
			[['a3', 'owner:c3'], [10, 6], 2],
			[['big', 'owner:big'], [Number.MAX_SAFE_INTEGER, big + 1], big],
			[['big', 'owner:big'], [Number.MAX_SAFE_INTEGER, big + 1], 1],
			[['big', 'owner:big'], [Number.MAX_SAFE_INTEGER, big + 1], 1],
		]
		for (const [ids, limits, cost] of calls) {
			const counters = ids.map((id, i) => ({ id, limit: limits[i] as number }))
			expect(await counter.consumeAll(counters, '2026-11', cost)).toEqual(
				memory.consumeAll(counters, '2026-11', cost),
			)
		}
	})

	it("holds a key's own limit below its owner's, and a refusal counts against neither", async () => {
		const counter = new RedisUsageCounter({ client, prefix })
		const owner = { id: 'owner:tight', limit: 100 }
		const calls: Promise<ConsumeAllResult>[] = []
		for (let i = 0; i < 40; i++) {
			const key = i % 2 === 0 ? { id: 'tight', limit: 5 } : { id: 'loose', limit: 1000 }
			calls.push(Promise.resolve(counter.consumeAll([key, owner], '2026-11', 1)))
		}
		const results = await Promise.all(calls)
		expect(results.filter((r, i) => i % 2 === 0 && r.allowed)).toHaveLength(5)
		expect(results.filter((r, i) => i % 2 === 1 && r.allowed)).toHaveLength(20)
		for (const r of results) if (!r.allowed) expect(r.used[0]).toBe(5)
		const read = async (id: string) => (await counter.consume(id, '2026-11', 0, Number.MAX_SAFE_INTEGER)).used
		expect([await read('tight'), await read('loose'), await read('owner:tight')]).toEqual([5, 20, 25])
	})

	it('reloads its script when the server has lost it', async () => {
		const counter = new RedisUsageCounter({ client, prefix })
		await counter.consume('flushed', '2026-11', 1, 5)
		await client.sendCommand(['SCRIPT', 'FLUSH'])
		expect(await counter.consume('flushed', '2026-11', 1, 5)).toEqual({ allowed: true, used: 2 })
		await client.sendCommand(['SCRIPT', 'FLUSH'])
		const both = [
			{ id: 'flushed', limit: 5 },
			{ id: 'owner:flushed', limit: 5 },
		]
		expect(await counter.consumeAll(both, '2026-11', 1)).toEqual({ allowed: true, used: [3, 1] })
	})

	it('works through a plain sendCommand function (the shape other clients adapt to)', async () => {
		const sent: string[] = []
		const counter = new RedisUsageCounter({
			prefix,
			client: {
				sendCommand: (args) => {
					sent.push(args[0] as string)
					return client.sendCommand(args)
				},
			},
		})
		expect(await counter.consume('plain', '2026-11', 2, 2)).toEqual({ allowed: true, used: 2 })
		expect(sent.every((name) => name === 'EVALSHA' || name === 'EVAL')).toBe(true)
	})

	it('runs onClose once, however often it is closed', async () => {
		let closed = 0
		const counter = new RedisUsageCounter({ client, prefix, onClose: async () => void closed++ })
		await Promise.all([counter.close(), counter.close()])
		expect(closed).toBe(1)
		expect(() => new RedisUsageCounter({ client: {} as never })).toThrow(TypeError)
	})
})
