import { createKeyward, type Keyward } from '@keyward/core'
import {
	type NodeProcess,
	pgUrl,
	probePostgres,
	probeRedis,
	redisUrl,
	startNodeProcess,
	uniqueName,
	useService,
} from '@keyward/internal-testing'
import { openPostgresStore, type PostgresStore } from '@keyward/postgres'
import { connectRedis } from '@keyward/redis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteKeys } from './fixtures/cleanup.js'
import { serverScript } from './fixtures/paths.js'

const pgAvailable = useService(await probePostgres())
const redisAvailable = useService(await probeRedis())

/** Two server processes on one schema and key prefix, and a keyward of the test's own on both. */
function useServerPair(batch: boolean) {
	const schema = uniqueName('kw_mp')
	const prefix = `${uniqueName('kwmp')}:`
	const servers: NodeProcess[] = []
	const pair = { ports: [] as number[], admin: undefined as unknown as Keyward }
	let store: PostgresStore

	beforeAll(async () => {
		// Keys are created from here, with the same database and counters the servers use.
		store = await openPostgresStore({ url: pgUrl, schema })
		const redis = await connectRedis({ url: redisUrl, prefix })
		pair.admin = createKeyward({ store, usage: redis.usage, invalidation: redis.invalidation })
		for (let i = 0; i < 2; i++) {
			servers.push(
				startNodeProcess(serverScript, {
					KEYWARD_PG_URL: pgUrl,
					KEYWARD_PG_SCHEMA: schema,
					KEYWARD_REDIS_URL: redisUrl,
					KEYWARD_REDIS_PREFIX: prefix,
					KEYWARD_REDIS_BATCH: batch ? '1' : '0',
				}),
			)
		}
		for (const server of servers) pair.ports.push(Number((await server.waitForLine(/listening on (\d+)/))[1]))
	}, 30_000)

	afterAll(async () => {
		await Promise.all(servers.map((s) => s.stop()))
		await store.client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
		await pair.admin.close()
		const client = await createClient({ url: redisUrl }).connect()
		await deleteKeys(client, prefix)
		await client.close()
	})

	return pair
}

const get = (port: number, key: string) =>
	fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-api-key': key } }).then(async (res) => {
		const body = (await res.json()) as { code?: string }
		return { status: res.status, code: body.code }
	})

const post = async (port: number, path: string) => {
	const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST' })
	await res.arrayBuffer()
	return res.status
}

/**
 * An owner with a quota and three keys of its own, none with a quota: 20 concurrent clients
 * spread requests over the keys and both servers, three times the quota in all. Then, while the
 * servers hold reserved units (batched counting), they give them back and one request goes to
 * each, until neither lets one through. Exactly the owner's quota passes, and the keys' own
 * counters add up to it.
 */
async function hammerOwner(pair: ReturnType<typeof useServerPair>, owner: string) {
	const { admin, ports } = pair
	const quota = 150
	await admin.setOwner(owner, { monthlyQuota: quota })
	const keys = await Promise.all([0, 1, 2].map(async () => (await admin.createKey({ owner })).key))
	const passed = new Map<string, number>(keys.map((key) => [key, 0]))
	const servedBy = new Set<number>()
	const send = async (server: number, key: string) => {
		const { status, code } = await get(ports[server] as number, key)
		if (status === 200) {
			passed.set(key, (passed.get(key) as number) + 1)
			servedBy.add(server)
		} else {
			expect({ status, code }).toEqual({ status: 429, code: 'owner_quota_exceeded' })
		}
		return status
	}
	const flush = async () => {
		for (const port of ports) expect(await post(port, '/admin/flush')).toBe(200)
	}
	let next = 0
	const client = async () => {
		while (next < 3 * quota) {
			const n = next++
			await send(n % 2, keys[n % 3] as string)
		}
	}
	await Promise.all(Array.from({ length: 20 }, client))
	const total = () => [...passed.values()].reduce((a, b) => a + b, 0)
	expect(total()).toBeLessThanOrEqual(quota)
	for (let round = 0; ; round++) {
		await flush()
		const statuses = await Promise.all([0, 1].map((server) => send(server, keys[round % 3] as string)))
		expect(total()).toBeLessThanOrEqual(quota)
		if (!statuses.includes(200)) break
	}
	// A refused request may leave units of its key reserved: give them back before reading.
	await flush()
	expect(total()).toBe(quota)
	expect(servedBy).toEqual(new Set([0, 1]))
	expect((await admin.ownerUsage(owner)).used).toBe(quota)
	for (const key of keys) expect((await admin.usage(key)).used).toBe(passed.get(key))
}

describe.skipIf(!pgAvailable || !redisAvailable)('two server processes sharing PostgreSQL and Redis', () => {
	const pair = useServerPair(false)
	const statusOf = async (port: number, key: string) => (await get(port, key)).status

	it('lets exactly monthlyQuota requests through in total under concurrent load on both', async () => {
		const quota = 200
		const total = 600
		const { key } = await pair.admin.createKey({ owner: 'load', monthlyQuota: quota })
		const answers: { server: number; status: number }[] = []
		let next = 0
		// 20 concurrent clients, alternating between the two servers.
		const client = async () => {
			while (next < total) {
				const server = next++ % 2
				answers.push({ server, status: await statusOf(pair.ports[server] as number, key) })
			}
		}
		await Promise.all(Array.from({ length: 20 }, client))
		const count = (status: number) => answers.filter((a) => a.status === status).length
		expect(answers).toHaveLength(total)
		expect(count(200)).toBe(quota)
		expect(count(429)).toBe(total - quota)
		// Both processes let requests through: the limit is shared, not split.
		for (const server of [0, 1])
			expect(answers.some((a) => a.server === server && a.status === 200)).toBe(true)
		expect((await pair.admin.usage(key)).used).toBe(quota)
	}, 60_000)

	it('refuses a key revoked through one process on the other within a second', async () => {
		const [a, b] = pair.ports as [number, number]
		const { key, info } = await pair.admin.createKey({ owner: 'acme' })
		// Both servers now hold the key in their caches (30 s by default).
		expect(await statusOf(a, key)).toBe(200)
		expect(await statusOf(b, key)).toBe(200)
		expect(await statusOf(b, key)).toBe(200)

		const started = performance.now()
		expect(await post(a, `/admin/revoke/${info.id}`)).toBe(200)
		let status = await statusOf(b, key)
		while (status === 200 && performance.now() - started < 2000) status = await statusOf(b, key)
		const elapsed = performance.now() - started
		expect(status).toBe(401)
		expect(elapsed).toBeLessThan(1000)
		expect(await statusOf(a, key)).toBe(401)
	}, 30_000)

	it("lets exactly an owner's quota through its keys on both, counted per key", async () => {
		await hammerOwner(pair, 'shared-exact')
	}, 60_000)
})

describe.skipIf(!pgAvailable || !redisAvailable)('two server processes counting in batches', () => {
	const pair = useServerPair(true)

	it("never lets more than an owner's quota through its keys on both, and exactly that once units are given back", async () => {
		await hammerOwner(pair, 'shared-batched')
	}, 60_000)
})
