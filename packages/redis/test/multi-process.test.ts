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

describe.skipIf(!pgAvailable || !redisAvailable)('two server processes sharing PostgreSQL and Redis', () => {
	const schema = uniqueName('kw_mp')
	const prefix = `${uniqueName('kwmp')}:`
	const servers: NodeProcess[] = []
	const ports: number[] = []
	let admin: Keyward
	let store: PostgresStore

	beforeAll(async () => {
		// Keys are created from here, with the same database and counters the servers use.
		store = await openPostgresStore({ url: pgUrl, schema })
		const redis = await connectRedis({ url: redisUrl, prefix })
		admin = createKeyward({ store, usage: redis.usage, invalidation: redis.invalidation })
		for (let i = 0; i < 2; i++) {
			servers.push(
				startNodeProcess(serverScript, {
					KEYWARD_PG_URL: pgUrl,
					KEYWARD_PG_SCHEMA: schema,
					KEYWARD_REDIS_URL: redisUrl,
					KEYWARD_REDIS_PREFIX: prefix,
				}),
			)
		}
		for (const server of servers) ports.push(Number((await server.waitForLine(/listening on (\d+)/))[1]))
	}, 30_000)

	afterAll(async () => {
		await Promise.all(servers.map((s) => s.stop()))
		await store.client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
		await admin.close()
		const client = await createClient({ url: redisUrl }).connect()
		await deleteKeys(client, prefix)
		await client.close()
	})

	const get = (port: number, key: string) =>
		fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-api-key': key } }).then(async (res) => {
			await res.arrayBuffer()
			return res.status
		})

	it('lets exactly monthlyQuota requests through in total under concurrent load on both', async () => {
		const quota = 200
		const total = 600
		const { key } = await admin.createKey({ owner: 'load', monthlyQuota: quota })
		const answers: { server: number; status: number }[] = []
		let next = 0
		// 20 concurrent clients, alternating between the two servers.
		const client = async () => {
			while (next < total) {
				const server = next++ % 2
				answers.push({ server, status: await get(ports[server] as number, key) })
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
		expect((await admin.usage(key)).used).toBe(quota)
	}, 60_000)

	it('refuses a key revoked through one process on the other within a second', async () => {
		const [a, b] = ports as [number, number]
		const { key, info } = await admin.createKey({ owner: 'acme' })
		// Both servers now hold the key in their caches (30 s by default).
		expect(await get(a, key)).toBe(200)
		expect(await get(b, key)).toBe(200)
		expect(await get(b, key)).toBe(200)

		const started = performance.now()
		const revoked = await fetch(`http://127.0.0.1:${a}/admin/revoke/${info.id}`, { method: 'POST' })
		expect(revoked.status).toBe(200)
		let status = await get(b, key)
		while (status === 200 && performance.now() - started < 2000) status = await get(b, key)
		const elapsed = performance.now() - started
		expect(status).toBe(401)
		expect(elapsed).toBeLessThan(1000)
		expect(await get(a, key)).toBe(401)
	}, 30_000)
})
