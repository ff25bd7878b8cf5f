import type { ConsumeAllResult, ConsumeResult, CounterLimit } from '@keyward/core/testing'
import { runUsageCounterConformance } from '@keyward/core/testing'
import { probeRedis, redisUrl, uniqueName, useService } from '@keyward/internal-testing'
import { RedisUsageCounter } from '@keyward/redis'
import fc from 'fast-check'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RESERVE } from '../src/scripts.js'
import { deleteKeys } from './fixtures/cleanup.js'

const available = useService(await probeRedis())
const PERIOD = '2026-11'

/** A reservation the counter sent to Redis, as the test saw it. */
interface Reservation {
	/** The Redis key reserved in. */
	readonly key: string
	/** Units the request itself needs: 0 for a top-up made ahead of use. */
	readonly need: number
	/** Most units asked for. */
	readonly want: number
	/** Units reserved here and not yet served when it was sent (as the test counts them). */
	heldWhenSent: number
	/** Redis's reply: units granted, counter after. */
	readonly reply: Promise<[number, number]>
	/** Let the reply through to the counter. */
	deliver(): void
}

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

	/**
	 * A batched counter whose reservations run on Redis at once but whose replies reach it only
	 * when the test calls `answer()`: the test, not the scheduler, decides whether a top-up is
	 * answered before the units reserved here run out. It keeps an account, per Redis key, of the
	 * units Redis granted and of the highest count a reservation left there.
	 */
	function gatedInstance(maxReservation: number, heldNow: () => number = () => 0) {
		const granted = new Map<string, number>()
		const maxCounted = new Map<string, number>()
		/** Every reservation sent, and those whose reply the counter has not received yet. */
		const sent: Reservation[] = []
		const queue: Reservation[] = []
		const instance = new RedisUsageCounter({
			prefix,
			// No sweep during the test: it would give units back between requests.
			batch: { maxReservation, releaseAfterMs: 600_000 },
			client: {
				sendCommand(args) {
					if (args[1] !== RESERVE.sha && args[1] !== RESERVE.source) return client.sendCommand(args)
					// As EVAL, so that another test file flushing the script cache cannot add a retry.
					const reply = client.sendCommand(['EVAL', RESERVE.source, ...args.slice(2)]) as Promise<
						[number, number]
					>
					let deliver = () => {}
					const gate = new Promise<void>((resolve) => {
						deliver = resolve
					})
					const reservation = {
						key: args[3] as string,
						need: Number(args[4]),
						want: Number(args[5]),
						heldWhenSent: heldNow(),
						reply,
						deliver,
					}
					sent.push(reservation)
					queue.push(reservation)
					return reply.then(async (value) => {
						await gate
						return value
					})
				},
			},
		})

		/** Hand the oldest reply to the counter and wait until it has taken it in. */
		async function answer(): Promise<void> {
			const reservation = queue.shift()
			if (reservation === undefined) throw new Error('no reservation in flight')
			const [units, counted] = await reservation.reply
			const { key } = reservation
			granted.set(key, (granted.get(key) ?? 0) + units)
			maxCounted.set(key, Math.max(maxCounted.get(key) ?? 0, counted))
			reservation.deliver()
			// The counter takes the reply in on promise callbacks, which all run before this.
			await new Promise(setImmediate)
		}

		/** The outcome of a call; while it waits for Redis, the reservations in flight are answered. */
		async function settle<T>(outcome: T | Promise<T>): Promise<{ result: T; waited: boolean }> {
			if (!(outcome instanceof Promise)) return { result: outcome, waited: false }
			let done = false
			const settled = outcome.finally(() => {
				done = true
			})
			while (!done) {
				if (queue.length > 0) await answer()
				else await new Promise(setImmediate)
			}
			return { result: await settled, waited: true }
		}

		/** Answer what is still in flight, then close (giving the units held back). */
		async function finish(): Promise<void> {
			while (queue.length > 0) await answer()
			await instance.close()
		}

		return {
			instance,
			sent,
			queue,
			answer,
			settle,
			finish,
			granted: (keyId: string) => granted.get(instance.keyFor(keyId, PERIOD)) ?? 0,
			maxCounted: (keyId: string) => maxCounted.get(instance.keyFor(keyId, PERIOD)) ?? 0,
		}
	}

	/**
	 * A {@link gatedInstance} counting one fresh key with `consume`. The test keeps its own account
	 * of the units held here (granted by Redis minus served) to see when each reservation was sent.
	 */
	function gatedCounter(maxReservation: number) {
		const id = freshId()
		let served = 0
		const held = () => gated.granted(id) - served
		const gated = gatedInstance(maxReservation, () => held())
		const { instance, sent, queue, answer, settle, finish } = gated

		/** `consume` of one unit, keeping the account of the units held here. */
		function consume(limit: number): ConsumeResult | Promise<ConsumeResult> {
			const before = sent.length
			const outcome = instance.consume(id, PERIOD, 1, limit)
			if (outcome instanceof Promise) {
				return outcome.then((result) => {
					if (result.allowed) served++
					return result
				})
			}
			if (outcome.allowed) served++
			// A top-up sent while this request was served: the counter had taken its unit already.
			for (const reservation of sent.slice(before)) reservation.heldWhenSent = held()
			return outcome
		}

		/** One request of one unit; while it waits for Redis, the reservations in flight are answered. */
		const request = (limit: number) => settle(consume(limit))

		return {
			id,
			sent,
			queue,
			held,
			answer,
			consume,
			request,
			finish,
			maxCounted: () => gated.maxCounted(id),
		}
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

	it('sends a top-up once a quarter of the reservation is left, so a busy key waits only for its first', async () => {
		const gated = gatedCounter(100)
		let waits = 0
		for (let i = 1; i <= 2000; i++) {
			// The slowest Redis that is still in time: a top-up is answered only once every unit held
			// here has been served.
			if (gated.held() === 0) while (gated.queue.length > 0) await gated.answer()
			const { result, waited } = await gated.request(1_000_000)
			if (waited) waits++
			expect(result).toEqual({ allowed: true, used: i })
		}
		expect(waits).toBe(1)
		const [first, ...later] = gated.sent
		expect(first).toMatchObject({ need: 1, heldWhenSent: 0 })
		for (const { need, want, heldWhenSent } of later) {
			// Asked ahead of use, while units were left...
			expect(need).toBe(0)
			expect(heldWhenSent).toBeGreaterThan(0)
			// ...exactly when a quarter of the reservation it tops up (to held + want) was left.
			expect(heldWhenSent * 4).toBeLessThanOrEqual(heldWhenSent + want)
			expect((heldWhenSent + 1) * 4).toBeGreaterThan(heldWhenSent + want)
		}
		// Reservations grow from 8 units to 100, then one round trip per 75 requests.
		expect(gated.sent.length).toBeLessThanOrEqual(Math.ceil(2000 / 75) + 5)
		await gated.finish()
		expect(await redisCount(gated.id)).toBe(2000)
	})

	it('makes requests wait only when the units ran out before the top-up was answered, and only for that answer', async () => {
		const gated = gatedCounter(100)
		const consume = () => gated.consume(1_000_000)
		const first = consume()
		expect(first).toBeInstanceOf(Promise)
		await gated.answer()
		expect(await first).toEqual({ allowed: true, used: 1 })
		let used = 1
		// Served here until the top-up goes out, then from what is left while Redis does not answer.
		while (gated.queue.length === 0) expect(consume()).toEqual({ allowed: true, used: ++used })
		while (gated.held() > 0) expect(consume()).toEqual({ allowed: true, used: ++used })
		expect(gated.sent).toHaveLength(2)
		// Out of units with the top-up unanswered: requests wait for it and send nothing more.
		const waiting = Array.from({ length: 5 }, consume)
		for (const answer of waiting) expect(answer).toBeInstanceOf(Promise)
		await new Promise(setImmediate)
		expect(gated.sent).toHaveLength(2)
		await gated.answer()
		expect(await Promise.all(waiting)).toEqual(
			[1, 2, 3, 4, 5].map((k) => ({ allowed: true, used: used + k })),
		)
		used += 5
		// Answered: no request waits, up to and after the next top-up.
		while (gated.queue.length === 0) expect(consume()).toEqual({ allowed: true, used: ++used })
		expect(consume()).toEqual({ allowed: true, used: ++used })
		expect(gated.sent).toHaveLength(3)
		await gated.finish()
		expect(await redisCount(gated.id)).toBe(used)
	})

	it('serves exactly the limit, never more, whenever Redis answers', async () => {
		// For each step: answer the reservations in flight first or not, then send a burst of requests.
		const step = fc.record({ answerFirst: fc.boolean(), burst: fc.integer({ min: 1, max: 4 }) })
		await fc.assert(
			fc.asyncProperty(
				fc.integer({ min: 1, max: 200 }),
				fc.integer({ min: 1, max: 100 }),
				fc.array(step, { minLength: 1, maxLength: 120 }),
				async (limit, maxReservation, steps) => {
					const gated = gatedCounter(maxReservation)
					const allowed: number[] = []
					let requests = 0
					// Enough requests to reach the limit, whatever the steps.
					for (let s = 0; requests < limit + 20; s++) {
						const { answerFirst, burst } = steps[s % steps.length] as { answerFirst: boolean; burst: number }
						if (answerFirst) while (gated.queue.length > 0) await gated.answer()
						const answers = Array.from({ length: burst }, () => gated.request(limit))
						requests += burst
						for (const { result } of await Promise.all(answers)) {
							if (result.allowed) allowed.push(result.used)
							else expect(result.used).toBeLessThanOrEqual(limit)
						}
					}
					expect(gated.maxCounted()).toBeLessThanOrEqual(limit)
					expect(allowed.sort((a, b) => a - b)).toEqual(Array.from({ length: limit }, (_, k) => k + 1))
					await gated.finish()
					expect(await redisCount(gated.id)).toBe(limit)
				},
			),
			{ numRuns: 40 },
		)
	}, 60_000)

	it("never passes a key's limit or its owner's with consumeAll, whenever Redis answers, and serves all it may", async () => {
		// For each step: answer the reservations in flight first or not, then send a burst of requests
		// through consecutive keys, starting at `key`, among those that still need requests.
		const step = fc.record({
			answerFirst: fc.boolean(),
			burst: fc.integer({ min: 1, max: 4 }),
			key: fc.nat(),
		})
		const keyLimit = fc.oneof(fc.integer({ min: 0, max: 80 }), fc.constant(Number.MAX_SAFE_INTEGER))
		await fc.assert(
			fc.asyncProperty(
				fc.integer({ min: 0, max: 150 }),
				fc.array(keyLimit, { minLength: 1, maxLength: 3 }),
				fc.integer({ min: 1, max: 60 }),
				fc.array(step, { minLength: 1, maxLength: 60 }),
				async (ownerLimit, keyLimits, maxReservation, steps) => {
					const gated = gatedInstance(maxReservation)
					const owner: CounterLimit = { id: `owner:${freshId()}`, limit: ownerLimit }
					const keys: CounterLimit[] = keyLimits.map((limit) => ({ id: freshId(), limit }))
					const allowed = keys.map(() => [] as number[])
					const ownerAllowed: number[] = []
					const requests = keys.map(() => 0)
					// Enough requests through every key to reach its limit or the owner's, whatever the steps.
					const enough = (k: number) =>
						(requests[k] as number) > Math.min(ownerLimit, keyLimits[k] as number) + 3
					for (let s = 0; !requests.every((_, k) => enough(k)); s++) {
						const { answerFirst, burst, key } = steps[s % steps.length] as (typeof steps)[number]
						if (answerFirst) while (gated.queue.length > 0) await gated.answer()
						const open = keys.flatMap((_, k) => (enough(k) ? [] : [k]))
						const answers = Array.from({ length: burst }, (_, j) => {
							const k = open[(key + j) % open.length] as number
							requests[k] = (requests[k] as number) + 1
							const outcome = gated.instance.consumeAll([keys[k] as CounterLimit, owner], PERIOD, 1)
							return gated.settle(outcome).then(({ result }) => ({ k, result }))
						})
						for (const { k, result } of await Promise.all(answers)) {
							const [used, ownerUsed] = result.used as [number, number]
							if (result.allowed) {
								allowed[k]?.push(used)
								ownerAllowed.push(ownerUsed)
							} else {
								// Refused only by a limit that is really reached: never early, on one instance.
								expect(used + 1 > (keys[k] as CounterLimit).limit || ownerUsed + 1 > ownerLimit).toBe(true)
							}
						}
					}
					const served = allowed.map((list) => list.length)
					const total = ownerAllowed.length
					expect(total).toBe(
						Math.min(
							ownerLimit,
							keyLimits.reduce((a, b) => a + b, 0),
						),
					)
					// Each success saw a different count of each of its counters, and no limit was passed.
					expect(ownerAllowed.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1))
					for (const list of allowed)
						expect(list.sort((a, b) => a - b)).toEqual(Array.from({ length: list.length }, (_, i) => i + 1))
					expect(gated.maxCounted(owner.id)).toBeLessThanOrEqual(ownerLimit)
					for (const { id, limit } of keys) expect(gated.maxCounted(id)).toBeLessThanOrEqual(limit)
					await gated.finish()
					expect(await redisCount(owner.id)).toBe(total)
					for (const [k, { id }] of keys.entries()) expect(await redisCount(id)).toBe(served[k])
				},
			),
			{ numRuns: 100 },
		)
	}, 60_000)

	it('serves a key and its owner from the units held here, without a promise or a round trip', async () => {
		const { instance, trips } = counter({ maxReservation: 100 })
		const both = [
			{ id: freshId(), limit: 1_000_000 },
			{ id: `owner:${freshId()}`, limit: 1_000_000 },
		]
		let synchronous = 0
		for (let i = 1; i <= 1000; i++) {
			const outcome = instance.consumeAll(both, PERIOD, 1)
			if (!(outcome instanceof Promise)) synchronous++
			expect(await outcome).toEqual({ allowed: true, used: [i, i] })
		}
		// As with one counter: about one round trip per 75 requests and counter.
		expect(trips.count).toBeLessThanOrEqual(40)
		expect(synchronous).toBeGreaterThanOrEqual(1000 - trips.count)
		await instance.close()
		for (const { id } of both) expect(await redisCount(id)).toBe(1000)
	})

	it('takes nothing from the other counters when one is refused; their units serve later requests', async () => {
		const { instance } = counter({ maxReservation: 100, releaseAfterMs: 600_000 })
		const owner = { id: `owner:${freshId()}`, limit: 1000 }
		const capped = { id: freshId(), limit: 3 }
		for (let i = 1; i <= 3; i++)
			expect(await instance.consumeAll([capped, owner], PERIOD, 1)).toEqual({ allowed: true, used: [i, i] })
		const held = await redisCount(owner.id)
		expect(held).toBeGreaterThan(3)
		expect(await instance.consumeAll([capped, owner], PERIOD, 1)).toEqual({ allowed: false, used: [3, 3] })
		expect(await instance.consumeAll([capped, owner], PERIOD, 2)).toEqual({ allowed: false, used: [3, 3] })
		expect(await redisCount(owner.id)).toBe(held)
		expect(await instance.consume(owner.id, PERIOD, 0, owner.limit)).toEqual({ allowed: true, used: 3 })
		// Another key of the owner is served from the owner's units held here.
		const other = { id: freshId(), limit: 1000 }
		expect(await instance.consumeAll([other, owner], PERIOD, 1)).toEqual({ allowed: true, used: [1, 4] })
		await instance.close()
		expect([await redisCount(capped.id), await redisCount(other.id), await redisCount(owner.id)]).toEqual([
			3, 1, 4,
		])
	})

	it("holds a key's own limit below its owner's across instances, and counts only what passed against the owner", async () => {
		const limit = 50
		const maxReservation = 10
		const instances = Array.from({ length: 4 }, () => counter({ maxReservation }).instance)
		const owner = { id: `owner:${freshId()}`, limit: 10_000 }
		const capped = { id: freshId(), limit }
		const free = { id: freshId(), limit: Number.MAX_SAFE_INTEGER }
		const calls: (ConsumeAllResult | Promise<ConsumeAllResult>)[] = []
		for (let i = 0; i < 800; i++) {
			const instance = instances[i % 4] as RedisUsageCounter
			calls.push(instance.consumeAll([i % 2 === 0 ? capped : free, owner], PERIOD, 1))
		}
		const results = await Promise.all(calls)
		let passed = results.filter((r, i) => i % 2 === 0 && r.allowed).length
		expect(passed).toBeLessThanOrEqual(limit)
		// Refused early only while other instances hold units of the key, at most maxReservation each.
		expect(passed).toBeGreaterThanOrEqual(limit - 3 * maxReservation)
		expect(results.filter((r, i) => i % 2 === 1 && r.allowed)).toHaveLength(400)
		// Once the holders give their units back, the rest of the key's quota is served, exactly.
		for (let round = 0; round < 50; round++) {
			await Promise.all(instances.map((instance) => instance.flush()))
			const again = await Promise.all(
				instances.map((instance) => instance.consumeAll([capped, owner], PERIOD, 1)),
			)
			passed += again.filter((r) => r.allowed).length
		}
		await Promise.all(instances.map((instance) => instance.close()))
		expect(passed).toBe(limit)
		expect(await redisCount(capped.id)).toBe(limit)
		expect(await redisCount(owner.id)).toBe(limit + 400)
	})

	it('gives unused units back on flush and close, so the counter holds exactly what was used', async () => {
		// No sweep meanwhile: it would give idle units back before the first check.
		const { instance } = counter({ maxReservation: 50, releaseAfterMs: 600_000 })
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
