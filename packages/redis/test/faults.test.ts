import { createKeyward, type Keyward, MemoryStore } from '@keyward/core'
import {
	type LoadSample,
	probeRedis,
	redisUrl,
	startLoad,
	startTcpProxy,
	type TcpProxy,
	uniqueName,
	useService,
} from '@keyward/internal-testing'
import { connectRedis, type RedisConnection } from '@keyward/redis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteKeys } from './fixtures/cleanup.js'

const available = useService(await probeRedis())

function verifier(keyward: Keyward, key: string) {
	return async () => {
		const result = await keyward.verify({ headers: { 'x-api-key': key }, url: '/' })
		return result.ok ? '200' : `${result.status} ${result.code}`
	}
}

const between = (samples: readonly LoadSample[], from: number, to = Number.POSITIVE_INFINITY) =>
	samples.filter((s) => s.startedAt >= from && s.endedAt <= to)

describe.skipIf(!available)('Redis failures', () => {
	const prefix = `${uniqueName('kwfault')}:`
	let proxy: TcpProxy
	let proxied: RedisConnection
	let direct: RedisConnection

	beforeAll(async () => {
		proxy = await startTcpProxy(new URL(redisUrl))
		proxied = await connectRedis({ url: proxy.urlFor(redisUrl), prefix })
		direct = await connectRedis({ url: redisUrl, prefix })
	})
	afterAll(async () => {
		await proxied.close()
		await direct.close()
		await proxy.close()
		const client = await createClient({ url: redisUrl }).connect()
		await deleteKeys(client, prefix)
		await client.close()
	})

	it('answers 503 while Redis is cut away, lets no request through, and recovers alone', async () => {
		const store = new MemoryStore()
		const keyward = createKeyward({ store, usage: proxied.usage, lastUsed: false })
		const quota = 300
		const { key, info } = await keyward.createKey({ owner: 'load', monthlyQuota: quota })
		const load = startLoad(verifier(keyward, key), 8)
		await load.until((s) => s.filter((x) => x.outcome === '200').length >= 100)

		await proxy.cut()
		const cutAt = performance.now()
		await load.until((s) => between(s, cutAt).length >= 40)
		await proxy.restore()
		const restoredAt = performance.now()
		await load.until((s) => s.some((x) => x.outcome === '429 quota_exceeded'))
		await load.stop()

		const outcomes = new Set(load.samples.map((s) => s.outcome))
		expect([...outcomes].sort()).toEqual(['200', '429 quota_exceeded', '503 unavailable'])
		const whileCut = between(load.samples, cutAt, restoredAt)
		expect(whileCut.length).toBeGreaterThanOrEqual(40)
		expect(whileCut.every((s) => s.outcome === '503 unavailable')).toBe(true)
		const passed = load.samples.filter((s) => s.outcome === '200').length
		expect(passed).toBeLessThanOrEqual(quota)
		expect(passed).toBeGreaterThanOrEqual(quota - 8)
		expect(await direct.usage.consume(info.id, (await keyward.usage(info.id)).period, 0, quota)).toEqual({
			allowed: true,
			used: quota,
		})
	}, 30_000)

	it('answers 503 while Redis hangs, within the store timeout, and recovers alone', async () => {
		const keyward = createKeyward({ store: new MemoryStore(), usage: proxied.usage, storeTimeoutMs: 300 })
		const { key } = await keyward.createKey({ owner: 'load', monthlyQuota: 1_000_000 })
		const load = startLoad(verifier(keyward, key), 8)
		await load.until((s) => s.filter((x) => x.outcome === '200').length >= 50)

		proxy.stall()
		const stalledAt = performance.now()
		await load.until((s) => between(s, stalledAt).length >= 24)
		proxy.resume()
		const resumedAt = performance.now()
		await load.until((s) => between(s, resumedAt).filter((x) => x.outcome === '200').length >= 20)
		await load.stop()

		const whileStalled = between(load.samples, stalledAt, resumedAt)
		expect(whileStalled.every((s) => s.outcome === '503 unavailable')).toBe(true)
		expect(load.samples.every((s) => s.outcome === '200' || s.outcome === '503 unavailable')).toBe(true)
	}, 30_000)

	it('delivers invalidations again once the subscriber has reconnected', async () => {
		await proxy.cut()
		await proxy.restore()
		// Wait until the proxied subscriber is back: node-redis re-subscribes by itself.
		let back = false
		await proxied.invalidation.subscribe((id) => {
			if (id === 'ping') back = true
		})
		const deadline = performance.now() + 10_000
		while (!back && performance.now() < deadline) {
			await direct.invalidation.publish('ping')
			await new Promise((resolve) => setTimeout(resolve, 50))
		}
		expect(back).toBe(true)

		const store = new MemoryStore()
		const here = createKeyward({ store, invalidation: proxied.invalidation })
		const there = createKeyward({ store, invalidation: direct.invalidation })
		const { key, info } = await there.createKey({ owner: 'acme' })
		expect((await here.verifyKey(key)).ok).toBe(true) // cached here
		const started = performance.now()
		await there.revokeKey(info.id)
		let result = await here.verifyKey(key)
		while (result.ok && performance.now() - started < 2000) {
			await new Promise((resolve) => setTimeout(resolve, 10))
			result = await here.verifyKey(key)
		}
		expect(result.ok === false && result.code).toBe('revoked')
		expect(performance.now() - started).toBeLessThan(1000)
	}, 30_000)
	it('forgets its whole cache after a reconnect, so a revocation missed meanwhile still takes effect', async () => {
		const store = new MemoryStore()
		const here = createKeyward({ store, invalidation: proxied.invalidation })
		const there = createKeyward({ store, invalidation: direct.invalidation })
		const { key, info } = await there.createKey({ owner: 'acme' })
		expect((await here.verifyKey(key)).ok).toBe(true) // cached here
		await proxy.cut()
		await there.revokeKey(info.id) // published while this subscriber is away: lost for it
		expect((await here.verifyKey(key)).ok).toBe(true) // still the cached record
		await proxy.restore()
		const deadline = performance.now() + 10_000
		let result = await here.verifyKey(key)
		while (result.ok && performance.now() < deadline) {
			await new Promise((resolve) => setTimeout(resolve, 20))
			result = await here.verifyKey(key)
		}
		expect(result.ok === false && result.code).toBe('revoked')
	}, 30_000)
})
