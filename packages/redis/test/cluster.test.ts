import { createKeyward, MemoryStore } from '@keyward/core'
import { runUsageCounterConformance } from '@keyward/core/testing'
import { probeRedisCluster, redisClusterNodes, uniqueName, useService } from '@keyward/internal-testing'
import { connectRedis, RedisUsageCounter } from '@keyward/redis'
import { createCluster } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clusterCommandClient, routingKey } from '../src/cluster-commands.js'
import { deleteClusterKeys } from './fixtures/cleanup.js'

const available = useService(await probeRedisCluster())

describe('routing commands on a cluster', () => {
	it('routes a script by its first key and other commands by their first argument', () => {
		expect(routingKey(['EVALSHA', 'abc', '2', 'k1', 'k2', '1'])).toBe('k1')
		expect(routingKey(['eval', 'return 1', '0'])).toBeUndefined()
		expect(routingKey(['GET', 'k'])).toBe('k')
	})

	it('refuses a prefix with braces, which would put every counter on one slot', () => {
		const client = { sendCommand: async () => null }
		expect(() => new RedisUsageCounter({ client, prefix: 'a{b}:', cluster: true })).toThrow(TypeError)
		expect(new RedisUsageCounter({ client, prefix: 'a{b}:' }).keyFor('k', '2026-11')).toBe(
			'a{b}:usage:{k}:2026-11',
		)
	})

	it('names counters after their group on a cluster only, escaping braces so that every owner is one whole tag', () => {
		const client = { sendCommand: async () => null }
		const standalone = new RedisUsageCounter({ client })
		const cluster = new RedisUsageCounter({ client, cluster: true })
		// Standalone names are those counts were kept under before: a group changes nothing.
		expect(standalone.keyFor('4fQx', '2026-11', 'acme')).toBe('keyward:usage:{4fQx}:2026-11')
		expect(cluster.keyFor('4fQx', '2026-11', 'acme')).toBe('keyward:usage:{acme}:4fQx:2026-11')
		expect(cluster.keyFor('owner:acme', '2026-11', 'acme')).toBe('keyward:usage:{acme}:owner:acme:2026-11')
		expect(cluster.keyFor('4fQx', '2026-11', '}{%')).toBe('keyward:usage:{%7D%7B%25}:4fQx:2026-11')
		expect(cluster.keyFor('4fQx', '2026-11')).toBe('keyward:usage:{4fQx}:2026-11')
	})
})

describe.skipIf(!available)('RedisUsageCounter on Redis Cluster', () => {
	const prefix = `${uniqueName('kwcluster')}:`
	const cluster = createCluster({ rootNodes: redisClusterNodes.map((url) => ({ url })) })
	cluster.on('error', () => {})
	const client = clusterCommandClient(cluster as never, 1000)

	beforeAll(async () => {
		await cluster.connect()
	})
	afterAll(async () => {
		await deleteClusterKeys(cluster, prefix)
		await cluster.close()
	})

	describe('exact', () => {
		runUsageCounterConformance(() => new RedisUsageCounter({ client, prefix, cluster: true }))
	})
	describe('batched', () => {
		runUsageCounterConformance(() => new RedisUsageCounter({ client, prefix, cluster: true, batch: true }))
		runUsageCounterConformance(
			() => new RedisUsageCounter({ client, prefix, cluster: true, batch: { maxReservation: 3 } }),
		)
	})

	const slotOf = async (key: string) =>
		Number(await cluster.sendCommand(key, true, ['CLUSTER', 'KEYSLOT', key]))

	it('keeps every key of an owner on its owner’s slot, whatever the owner id, and owners apart', async () => {
		const counter = new RedisUsageCounter({ client, prefix, cluster: true })
		const owners = ['acme', '{', '}', '}{', 'a{b}c', '{x}', '%7B', 'ÿ-😀', ' spaced owner ']
		for (let i = 0; i < 40; i++) owners.push(`customer-${i}`)
		const slots = new Set<number>()
		for (const owner of owners) {
			const own = await slotOf(counter.keyFor(`owner:${owner}`, '2026-11', owner))
			for (const key of ['4fQx9aZ2mK1c', 'zz00zz00zz00'])
				expect(await slotOf(counter.keyFor(key, '2026-11', owner))).toBe(own)
			slots.add(own)
			const counters = [
				{ id: `k-${owner}`, limit: 5, group: owner },
				{ id: `owner:${owner}`, limit: 3, group: owner },
			]
			expect(await counter.consumeAll(counters, '2026-11', 2)).toEqual({ allowed: true, used: [2, 2] })
			expect(await counter.consumeAll(counters, '2026-11', 2)).toEqual({ allowed: false, used: [2, 2] })
		}
		// Owners spread over the slots (and so over the masters): no two of these 49 share one.
		expect(slots.size).toBe(owners.length)
	})

	it('without names for a cluster, consumeAll fails with CROSSSLOT (what the group names prevent)', async () => {
		const counter = new RedisUsageCounter({ client, prefix })
		const counters = [
			{ id: 'k-plain', limit: 5, group: 'plain' },
			{ id: 'owner:plain', limit: 5, group: 'plain' },
		]
		await expect(Promise.resolve(counter.consumeAll(counters, '2026-11', 1))).rejects.toThrow(/CROSSSLOT/)
	})
})

describe.skipIf(!available)('connectRedis on Redis Cluster', () => {
	const prefix = `${uniqueName('kwcc')}:`
	const admin = createCluster({ rootNodes: redisClusterNodes.map((url) => ({ url })) })
	admin.on('error', () => {})
	beforeAll(async () => {
		await admin.connect()
	})
	afterAll(async () => {
		await deleteClusterKeys(admin, prefix)
		await admin.close()
	})

	it('rejects bad node lists before connecting', async () => {
		await expect(connectRedis({ cluster: [] })).rejects.toThrow(TypeError)
		await expect(connectRedis({ cluster: ['http://x'] })).rejects.toThrow(TypeError)
		await expect(connectRedis({ cluster: redisClusterNodes, url: 'redis://x' })).rejects.toThrow(TypeError)
		await expect(connectRedis({ cluster: ['redis://127.0.0.1:1'], connectTimeoutMs: 300 })).rejects.toThrow()
	})

	for (const batch of [false, true]) {
		it(`counts an owner's quota over keys on two instances exactly (${batch ? 'batched' : 'exact'}), and shares revocations`, async () => {
			const store = new MemoryStore()
			const connections = await Promise.all(
				[0, 1].map(() => connectRedis({ cluster: redisClusterNodes.slice(0, 1), prefix, batch })),
			)
			const instances = connections.map((redis) =>
				createKeyward({ store, usage: redis.usage, invalidation: redis.invalidation }),
			)
			const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]]
			try {
				const owner = `{acct}-${batch}`
				await a.setOwner(owner, { monthlyQuota: 60 })
				const keys = await Promise.all([1, 2, 3].map(() => a.createKey({ owner })))
				const answers = await Promise.all(
					Array.from({ length: 150 }, (_, i) => (i % 2 === 0 ? a : b).verifyKey(keys[i % 3]?.key as string)),
				)
				let served = answers.filter((r) => r.ok).length
				for (const r of answers) if (!r.ok) expect(r.code).toBe('owner_quota_exceeded')
				expect(served).toBeLessThanOrEqual(60)
				if (batch) {
					// Never more; the rest once both give back the units they hold, to exactly the limit.
					await Promise.all(connections.map((redis) => redis.usage.flush()))
					while ((await a.verifyKey(keys[served % 3]?.key as string)).ok) served++
					await Promise.all(connections.map((redis) => redis.usage.flush()))
				}
				expect(served).toBe(60)
				const used = await Promise.all(keys.map(async (k) => (await a.usage(k.info.id)).used))
				expect(used.reduce((x, y) => x + y, 0)).toBe(60)
				expect((await b.ownerUsage(owner)).used).toBe(60)

				// b caches the key; a revokes it; b hears of it.
				const { key, info } = await a.createKey({ owner: 'revoked-on-a' })
				expect((await b.verifyKey(key)).ok).toBe(true)
				await a.revokeKey(info.id)
				const started = performance.now()
				while ((await b.verifyKey(key)).ok) {
					if (performance.now() - started > 5000) throw new Error('b never heard of the revocation')
					await new Promise((resolve) => setTimeout(resolve, 5))
				}
			} finally {
				await Promise.all(instances.map((k) => k.close()))
			}
		})
	}
})
