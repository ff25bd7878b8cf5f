import type { ConsumeResult } from '@keyward/core'
import { runUsageCounterConformance } from '@keyward/core/testing'
import { probeRedis, redisUrl, uniqueName, useService } from '@keyward/internal-testing'
import { RedisUsageCounter } from '@keyward/redis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteKeys } from './fixtures/cleanup.js'

const available = useService(await probeRedis())
const PERIOD = '2026-11'

describe('batched counting options', () => {
	const client = { sendCommand: async () => null }
	it('refuses nonsensical sizes at construction', () => {
		expect(() => new RedisUsageCounter({ client, batch: { maxReservation: 0 } })).toThrow(TypeError)
		expect(() => new RedisUsageCounter({ client, batch: { maxReservation: 1.5 } })).toThrow(TypeError)
		expect(() => new RedisUsageCounter({ client, batch: { releaseAfterMs: 0 } })).toThrow(TypeError)
		expect(new RedisUsageCounter({ client, batch: true }).batched).toBe(true)
		expect(new RedisUsageCounter({ client }).batched).toBe(false)
	})
})

describe.skipIf(!available)('RedisUsageCounter with batch on Redis', () => {
	const prefix = `${uniqueName('kwbatch')}:`
	const client = createClient({ url: redisUrl })
	client.on('error', () => {})
	let n = 0
	const freshId = () => `key${n++}`

	/** A batched counter whose round trips are counted. */
	function counter(batch: { maxReservation?: number; releaseAfterMs?: number } | true = true) {
		const trips = { count: 0 }
		const instance = new RedisUsageCounter({
			prefix,
			batch,
			client: {
				sendCommand: (args) => {
					trips.count++
					return client.sendCommand(args)
				},
			},
		})
		return { instance, trips }
	}

	const redisCount = async (keyId: string) =>
		Number((await client.get(`${prefix}usage:{${keyId}}:${PERIOD}`)) ?? 0)

	beforeAll(async () => {
		await client.connect()
	})
	afterAll(async () => {
		await deleteKeys(client, prefix)
		await client.close()
	})

	runUsageCounterConformance(() => new RedisUsageCounter({ client, prefix, batch: true }))
	runUsageCounterConformance(() => new RedisUsageCounter({ client, prefix, batch: { maxReservation: 3 } }))

	it('serves most requests from its reservation, without a round trip', async () => {
		const { instance, trips } = counter({ maxReservation: 100 })
		const id = freshId()
		for (let i = 1; i <= 1000; i++) {
			expect(await instance.consume(id, PERIOD, 1, 1_000_000)).toEqual({ allowed: true, used: i })
		}
		// Reservations grow from 8 to 100 units; once a quarter is left, the slot is topped up in the
		// background, so a busy key costs about one round trip per 75 requests.
		expect(trips.count).toBeLessThanOrEqual(20)
		await instance.close()
		expect(await redisCount(id)).toBe(1000)
	})

	it('tops a busy key up in the background, so its requests do not wait for Redis', async () => {
		const { instance } = counter({ maxReservation: 100 })
		const id = freshId()
		let waited = 0
		for (let i = 1; i <= 2000; i++) {
			const answer = instance.consume(id, PERIOD, 1, 1_000_000)
			if (answer instanceof Promise) waited++
			expect(await answer).toEqual({ allowed: true, used: i })
			// A server returns to the event loop between requests: the top-up's reply gets in then.
			await new Promise(setImmediate)
		}
		// Only the very first request waits for a reservation (one round trip per 100 would be 20).
		expect(waited).toBeLessThanOrEqual(2)
		await instance.close()
		expect(await redisCount(id)).toBe(2000)
	})

	it('gives unused units back on flush and close, so the counter holds exactly what was used', async () => {
		const { instance } = counter({ maxReservation: 50 })
		const id = freshId()
		for (let i = 0; i < 200; i++) await instance.consume(id, PERIOD, 1, 10_000)
		expect(await redisCount(id)).toBeGreaterThan(200)
		expect(await instance.consume(id, PERIOD, 0, 10_000)).toEqual({ allowed: true, used: 200 })
		await instance.flush()
		expect(await redisCount(id)).toBe(200)
		await instance.consume(id, PERIOD, 7, 10_000)
		await instance.close()
		expect(await redisCount(id)).toBe(207)
	})

	it('never lets several instances together pass the limit, and under-serves only while units are held', async () => {
		const limit = 1000
		const maxReservation = 40
		const instances = Array.from({ length: 4 }, () => counter({ maxReservation }).instance)
		const id = freshId()
		// 3000 concurrent requests, spread over the four instances.
		const calls: (ConsumeResult | Promise<ConsumeResult>)[] = []
		for (let i = 0; i < 3000; i++)
			calls.push((instances[i % 4] as RedisUsageCounter).consume(id, PERIOD, 1, limit))
		const results = await Promise.all(calls)
		const allowed = results.filter((r) => r.allowed).length
		expect(allowed).toBeLessThanOrEqual(limit)
		// Refusals happen only while other instances hold unused units, at most maxReservation each.
		expect(allowed).toBeGreaterThanOrEqual(limit - 3 * maxReservation)
		expect(await redisCount(id)).toBeLessThanOrEqual(limit)
		// Once the holders give their units back, the rest of the quota is served, exactly.
		await Promise.all(instances.map((instance) => instance.flush()))
		let more = 0
		for (let round = 0; round < 50; round++) {
			const again = await Promise.all(instances.map((instance) => instance.consume(id, PERIOD, 1, limit)))
			more += again.filter((r) => r.allowed).length
			await Promise.all(instances.map((instance) => instance.flush()))
		}
		expect(allowed + more).toBe(limit)
		expect(await redisCount(id)).toBe(limit)
		await Promise.all(instances.map((instance) => instance.close()))
	})

	it('loses at most maxReservation units per key to an instance that dies holding them', async () => {
		const limit = 500
		const id = freshId()
		const { instance: doomed } = counter({ maxReservation: 25 })
		for (let i = 0; i < 100; i++) await doomed.consume(id, PERIOD, 1, limit)
		// `doomed` is never closed: its reservation stays in the counter for the rest of the period.
		const { instance: survivor } = counter({ maxReservation: 25 })
		let served = 100
		while ((await survivor.consume(id, PERIOD, 1, limit)).allowed) served++
		expect(served).toBeLessThanOrEqual(limit)
		expect(served).toBeGreaterThanOrEqual(limit - 25)
		await survivor.close()
	})

	it('refuses a key over its quota without a round trip until the next sweep or flush', async () => {
		const { instance, trips } = counter()
		const id = freshId()
		for (let i = 0; i < 5; i++) await instance.consume(id, PERIOD, 1, 5)
		expect(await instance.consume(id, PERIOD, 1, 5)).toEqual({ allowed: false, used: 5 })
		const before = trips.count
		for (let i = 0; i < 100; i++) expect((await instance.consume(id, PERIOD, 1, 5)).allowed).toBe(false)
		expect(trips.count).toBe(before)
		// A raised limit is not refused from memory.
		expect(await instance.consume(id, PERIOD, 1, 6)).toEqual({ allowed: true, used: 6 })
		await instance.close()
	})

	it('gives units reserved under a higher limit back before counting under a lower one', async () => {
		const { instance } = counter({ maxReservation: 100 })
		const id = freshId()
		for (let i = 0; i < 50; i++) await instance.consume(id, PERIOD, 1, 1000)
		// The limit drops to 60 (an updated key): only 10 more requests may pass.
		let passed = 0
		for (let i = 0; i < 40; i++) if ((await instance.consume(id, PERIOD, 1, 60)).allowed) passed++
		expect(passed).toBe(10)
		await instance.close()
		expect(await redisCount(id)).toBe(60)
	})

	it('hands back a past period when the period changes', async () => {
		const { instance } = counter({ maxReservation: 100 })
		const id = freshId()
		for (let i = 0; i < 20; i++) await instance.consume(id, PERIOD, 1, 1000)
		await instance.consume(id, '2026-12', 1, 1000)
		await instance.flush()
		expect(await redisCount(id)).toBe(20)
		await instance.close()
	})

	it('fails like the exact counter when Redis fails, and keeps its reservation', async () => {
		let broken = false
		const instance = new RedisUsageCounter({
			prefix,
			batch: { maxReservation: 10 },
			client: {
				sendCommand: (args) => (broken ? Promise.reject(new Error('down')) : client.sendCommand(args)),
			},
		})
		const id = freshId()
		// The first reservation is 8 units: 3 stay unused.
		for (let i = 0; i < 5; i++) await instance.consume(id, PERIOD, 1, 1000)
		broken = true
		// Giving units back fails loudly, and they stay reserved here...
		await expect(instance.flush()).rejects.toThrow('down')
		// ...so they are still served; the next reservation fails like the exact counter.
		const outcomes = await Promise.allSettled(
			Array.from({ length: 20 }, () => instance.consume(id, PERIOD, 1, 1000)),
		)
		expect(outcomes.filter((o) => o.status === 'fulfilled').length).toBeGreaterThan(0)
		expect(outcomes.some((o) => o.status === 'rejected')).toBe(true)
		broken = false
		await instance.close()
		const served = 5 + outcomes.filter((o) => o.status === 'fulfilled').length
		expect(await redisCount(id)).toBe(served)
	})
})
