import { runUsageCounterConformance } from '@keyward/core/testing'
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

	it('reloads its script when the server has lost it', async () => {
		const counter = new RedisUsageCounter({ client, prefix })
		await counter.consume('flushed', '2026-11', 1, 5)
		await client.sendCommand(['SCRIPT', 'FLUSH'])
		expect(await counter.consume('flushed', '2026-11', 1, 5)).toEqual({ allowed: true, used: 2 })
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
