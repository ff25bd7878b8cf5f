import { createKeyward, MemoryStore } from '@keyward/core'
import { probeRedis, redisUrl, uniqueName, useService } from '@keyward/internal-testing'
import { connectRedis, type RedisConnection, RedisInvalidationChannel } from '@keyward/redis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteKeys } from './fixtures/cleanup.js'

const available = useService(await probeRedis())

/** Resolves with the first value `listener` receives. */
function nextMessage(channel: RedisInvalidationChannel): Promise<string | null> {
	return new Promise((resolve) => {
		void channel.subscribe(resolve)
	})
}

describe.skipIf(!available)('RedisInvalidationChannel on Redis', () => {
	const prefix = `${uniqueName('kwtest')}:`
	const clients: ReturnType<typeof createClient>[] = []
	const open = async () => {
		const client = createClient({ url: redisUrl })
		client.on('error', () => {})
		clients.push(client)
		return client.connect()
	}
	let publisher: ReturnType<typeof createClient>

	beforeAll(async () => {
		publisher = await open()
	})
	afterAll(async () => {
		await deleteKeys(publisher, prefix)
		await Promise.all(clients.map((c) => (c.isOpen ? c.close() : undefined)))
	})

	it('delivers a published id to every subscribed instance, the publisher included', async () => {
		const channel = `${prefix}invalidate`
		const a = new RedisInvalidationChannel({ publisher, subscriber: await open(), channel })
		const b = new RedisInvalidationChannel({ publisher, subscriber: await open(), channel })
		const other = new RedisInvalidationChannel({
			publisher,
			subscriber: await open(),
			channel: `${prefix}other`,
		})
		await Promise.all([a.start(), b.start(), other.start()])
		const heard: (string | null)[] = []
		await other.subscribe((id) => heard.push(id))
		const atA = nextMessage(a)
		const atB = nextMessage(b)
		await a.publish('key123')
		expect(await Promise.all([atA, atB])).toEqual(['key123', 'key123'])
		expect(heard).toEqual([])
		await Promise.all([a.close(), b.close(), other.close()])
	})

	it('stops delivering after close and runs onClose once', async () => {
		let closed = 0
		const channel = new RedisInvalidationChannel({
			publisher,
			subscriber: await open(),
			channel: `${prefix}closing`,
			onClose: async () => void closed++,
		})
		const heard: (string | null)[] = []
		await channel.subscribe((id) => heard.push(id))
		await Promise.all([channel.close(), channel.close()])
		await publisher.publish(`${prefix}closing`, 'late')
		const probe = new RedisInvalidationChannel({
			publisher,
			subscriber: await open(),
			channel: `${prefix}closing`,
		})
		const delivered = nextMessage(probe)
		await probe.start()
		await probe.publish('after')
		expect(await delivered).toBe('after') // by then, a live subscriber would have had 'late'
		expect(heard).toEqual([])
		expect(closed).toBe(1)
		await probe.close()
	})

	describe('connectRedis', () => {
		let a: RedisConnection
		let b: RedisConnection
		beforeAll(async () => {
			;[a, b] = await Promise.all([
				connectRedis({ url: redisUrl, prefix }),
				connectRedis({ url: redisUrl, prefix }),
			])
		})
		afterAll(async () => {
			await Promise.all([a.close(), b.close()])
		})

		it('shares quota and evicts changed keys across keyward instances', async () => {
			const store = new MemoryStore()
			const one = createKeyward({ store, usage: a.usage, invalidation: a.invalidation })
			const two = createKeyward({ store, usage: b.usage, invalidation: b.invalidation })
			const { key, info } = await one.createKey({ owner: 'acme', monthlyQuota: 3 })
			expect((await one.verifyKey(key)).ok).toBe(true)
			expect((await two.verifyKey(key)).ok).toBe(true) // now cached by both
			const evicted = nextMessage(b.invalidation)
			await one.revokeKey(info.id)
			expect(await evicted).toBe(info.id)
			const refused = await two.verifyKey(key)
			expect(refused.ok === false && refused.code).toBe('revoked')
			expect((await two.usage(info.id)).used).toBe(2)
		})

		it('ends a session on every instance at once when it logs out there', async () => {
			const store = new MemoryStore()
			const one = createKeyward({ store, usage: a.usage, invalidation: a.invalidation })
			const two = createKeyward({ store, usage: b.usage, invalidation: b.invalidation })
			const { key } = await one.createKey({ owner: 'acme' })
			const login = await one.createSession(key)
			if (!login.ok) throw new Error(login.code)
			expect((await two.verifySession(login.token)).ok).toBe(true) // now cached by the other
			const evicted = nextMessage(b.invalidation)
			expect(await one.endSession(login.token)).toBe(true)
			expect(await evicted).toBe(`session:${login.session.id}`)
			const refused = await two.verifySession(login.token)
			expect(refused.ok === false && refused.code).toBe('invalid_session')
		})

		it('uses the prefix for the channel and the counters', () => {
			expect(a.invalidation.channel).toBe(`${prefix}invalidate`)
			expect(a.usage.prefix).toBe(prefix)
		})

		it('closes its connections once keyward has closed the counter and the channel', async () => {
			const connection = await connectRedis({ url: redisUrl, prefix })
			const keyward = createKeyward({ usage: connection.usage, invalidation: connection.invalidation })
			await keyward.close()
			await expect(connection.usage.consume('x', '2026-11', 1, 1)).rejects.toThrow()
			await connection.close()
		})

		it('rejects when Redis cannot be reached within connectTimeoutMs', async () => {
			const started = performance.now()
			await expect(connectRedis({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 500 })).rejects.toThrow()
			expect(performance.now() - started).toBeLessThan(3000)
			await expect(connectRedis({ url: 'http://localhost' })).rejects.toThrow(TypeError)
		})
	})
})
