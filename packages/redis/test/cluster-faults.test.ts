import { createKeyward, type Keyward, MemoryStore } from '@keyward/core'
import {
	probeRedisBinaries,
	startRedisCluster,
	type ThrowawayCluster,
	useService,
} from '@keyward/internal-testing'
import { connectRedis, type RedisConnection } from '@keyward/redis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

// Each describe runs a cluster of its own (redis-server processes owned by this file), so that
// stopping, hanging and failing over nodes disturbs no other test.
const available = useService(await probeRedisBinaries())

/** Milliseconds until `check` holds, asking every 20 ms; throws after `withinMs`. */
async function msUntil(check: () => Promise<boolean>, withinMs: number): Promise<number> {
	const started = performance.now()
	while (!(await check())) {
		if (performance.now() - started > withinMs) throw new Error(`not within ${withinMs} ms`)
		await new Promise((resolve) => setTimeout(resolve, 20))
	}
	return performance.now() - started
}

/** One owner per master, found by the slot of its hash tag; each with a key under a quota. */
async function ownersByNode(cluster: ThrowawayCluster, masters: number): Promise<string[]> {
	const owners: string[] = []
	for (let i = 0; owners.filter(Boolean).length < masters; i++) {
		const node = await cluster.nodeOf(`{acct-${i}}`)
		owners[node] ??= `acct-${i}`
	}
	return owners
}

interface Instance {
	keyward: Keyward
	redis: RedisConnection
}

async function instance(cluster: ThrowawayCluster, store: MemoryStore): Promise<Instance> {
	const redis = await connectRedis({ cluster: cluster.nodes })
	// A hung shard is noticed after storeTimeoutMs: a second, short enough for the test and long
	// enough that a healthy shard answers in time on a loaded machine.
	const keyward = createKeyward({
		store,
		usage: redis.usage,
		invalidation: redis.invalidation,
		storeTimeoutMs: 1000,
	})
	return { keyward, redis }
}

describe.skipIf(!available)('Redis Cluster: a shard that hangs or dies, then comes back', () => {
	let cluster: ThrowawayCluster
	let owners: string[]
	const store = new MemoryStore()
	let a: Instance
	let b: Instance
	const keys: string[] = []

	beforeAll(async () => {
		cluster = await startRedisCluster({ masters: 3 })
		owners = await ownersByNode(cluster, 3)
		a = await instance(cluster, store)
		b = await instance(cluster, store)
		for (const owner of owners) {
			await a.keyward.setOwner(owner, { monthlyQuota: 1_000_000 })
			keys.push((await a.keyward.createKey({ owner, monthlyQuota: 1_000_000 })).key)
		}
	}, 60_000)
	afterAll(async () => {
		await Promise.allSettled([a?.keyward.close(), b?.keyward.close()])
		await cluster?.close()
	})
	afterEach(async () => {
		// Whatever a test did, the next one starts on a whole cluster.
		for (let i = 0; i < 3; i++) cluster.resume(i)
		await cluster.healthy()
	})

	const statuses = async (k: Keyward) =>
		Promise.all(
			keys.map(async (key) => {
				const result = await k.verifyKey(key)
				return result.ok ? 200 : result.status
			}),
		)

	for (const fault of ['hangs (SIGSTOP)', 'dies (SIGKILL), then restarts'] as const) {
		it(`answers 503 only for keys counted on a shard that ${fault}, and serves them again once it is back`, async () => {
			expect(await statuses(a.keyward)).toEqual([200, 200, 200])
			const down = 1
			if (fault.startsWith('hangs')) cluster.pause(down)
			else await cluster.kill(down)
			for (const k of [a.keyward, b.keyward]) expect(await statuses(k)).toEqual([200, 503, 200])
			if (fault.startsWith('hangs')) cluster.resume(down)
			else await cluster.restart(down)
			const ok = async () =>
				(await statuses(a.keyward)).every((s) => s === 200) &&
				(await statuses(b.keyward)).every((s) => s === 200)
			const recovered = await msUntil(ok, 20_000)
			console.log(
				`[cluster faults] a shard that ${fault}: served again ${Math.round(recovered)} ms after it was back`,
			)
		}, 60_000)
	}

	it('delivers revocations to an instance whose subscription node hangs or dies: it moves to another node', async () => {
		const store2 = new MemoryStore()
		// c subscribes first and alone, so the node with a subscriber is c's.
		const c = await instance(cluster, store2)
		const d = await instance(cluster, store2)
		try {
			let node = -1
			for (let i = 0; i < 3; i++)
				if ((await cluster.cli(i, 'CLIENT', 'LIST', 'TYPE', 'pubsub')).includes('cmd=')) node = i
			expect(node).toBeGreaterThanOrEqual(0)
			const { key, info } = await d.keyward.createKey({ owner: 'moving' })
			expect((await c.keyward.verifyKey(key)).ok).toBe(true) // cached on c
			cluster.pause(node)
			await d.keyward.revokeKey(info.id)
			const heard = await msUntil(async () => !(await c.keyward.verifyKey(key)).ok, 10_000)
			expect(await c.keyward.verifyKey(key)).toMatchObject({ ok: false, code: 'revoked' })
			console.log(
				`[cluster faults] revocation reached an instance whose subscription node hung after ${Math.round(heard)} ms`,
			)
		} finally {
			cluster.resume(0)
			cluster.resume(1)
			cluster.resume(2)
			await Promise.allSettled([c.keyward.close(), d.keyward.close()])
		}
	}, 60_000)
})

describe.skipIf(!available)('Redis Cluster: a master fails over to its replica', () => {
	let cluster: ThrowawayCluster
	let a: Instance

	beforeAll(async () => {
		cluster = await startRedisCluster({ masters: 3, replicas: 1, nodeTimeoutMs: 1000 })
		a = await instance(cluster, new MemoryStore())
	}, 60_000)
	afterAll(async () => {
		await a?.keyward.close().catch(() => {})
		await cluster?.close()
	})

	it('serves the keys of the failed master again once its replica took over, without the old master', async () => {
		const owners = await ownersByNode(cluster, 3)
		const keys = await Promise.all(owners.map((owner) => a.keyward.createKey({ owner, monthlyQuota: 100 })))
		for (const { key } of keys) expect((await a.keyward.verifyKey(key)).ok).toBe(true)
		const failing = 0
		await cluster.kill(failing)
		expect(await a.keyward.verifyKey(keys[failing]?.key as string)).toMatchObject({ status: 503 })
		const served = await msUntil(
			async () => (await a.keyward.verifyKey(keys[failing]?.key as string)).ok,
			30_000,
		)
		console.log(
			`[cluster faults] keys of a failed master served again ${Math.round(served)} ms after it died`,
		)
		// Every unit counted before the failover was replicated or lost, never doubled.
		expect((await a.keyward.usage(keys[failing]?.info.id as string)).used).toBeLessThanOrEqual(2)
		for (const { key } of keys) expect((await a.keyward.verifyKey(key)).ok).toBe(true)
	}, 60_000)
})
