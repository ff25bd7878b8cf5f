import { describe, expect, it } from 'vitest'
import { KeywardError } from '../src/errors.js'
import { createKeyward } from '../src/keyward.js'
import { MemoryStore } from '../src/memory-store.js'
import { forwardingStore } from '../src/testing/stores.js'
import { delegate, setup } from './helpers.js'

describe('createKey', () => {
	it('stores only the hash and returns the key once', async () => {
		const { keyward, store } = setup()
		const { key, info } = await keyward.createKey({
			owner: 'acme',
			name: 'CI',
			note: 'deploys',
			scopes: ['read:*', 'read:*'],
			monthlyQuota: 10,
			metadata: { plan: 'pro' },
		})
		expect(info).toMatchObject({
			owner: 'acme',
			name: 'CI',
			note: 'deploys',
			scopes: ['read:*'],
			monthlyQuota: 10,
		})
		const record = await store.findById(info.id)
		expect(record?.hash).toMatch(/^[0-9a-f]{64}$/)
		expect(JSON.stringify(record)).not.toContain(key)
		expect(JSON.stringify(info)).not.toContain(record?.hash)
	})

	it('validates input with clear errors', async () => {
		const { keyward } = setup()
		const cases: [Record<string, unknown>, RegExp][] = [
			[{}, /owner is required/],
			[{ owner: '  ' }, /owner must not be empty/],
			[{ owner: 'a\nb' }, /control characters/],
			[{ owner: 'a', scopes: ['has space'] }, /scope/],
			[{ owner: 'a', scopes: 'admin' }, /array/],
			[{ owner: 'a', monthlyQuota: -1 }, /monthlyQuota/],
			[{ owner: 'a', monthlyQuota: 1.5 }, /monthlyQuota/],
			[{ owner: 'a', expiresIn: 0 }, /expiresIn/],
			[{ owner: 'a', expiresIn: 9e15 }, /expiresIn/],
			[{ owner: 'a', expiresAt: new Date(0) }, /future/],
			[{ owner: 'a', expiresAt: new Date('nope') }, /valid Date/],
			[{ owner: 'a', expiresAt: new Date(Date.UTC(2030, 0)), expiresIn: 5 }, /not both/],
			[{ owner: 'a', metadata: [] }, /plain object/],
			[{ owner: 'a', metadata: { big: 'x'.repeat(9000) } }, /8192/],
		]
		for (const [input, message] of cases) {
			await expect(keyward.createKey(input as never)).rejects.toThrow(message)
		}
		expect(await keyward.listKeys()).toEqual([])
	})

	it('applies the default and maximum lifetime policy', async () => {
		const { keyward, time } = setup({ lifetime: { defaultMs: 1000, maxMs: 5000 } })
		expect((await keyward.createKey({ owner: 'a' })).info.expiresAt?.getTime()).toBe(time.now() + 1000)
		expect((await keyward.createKey({ owner: 'a', expiresIn: 5000 })).info.expiresAt?.getTime()).toBe(
			time.now() + 5000,
		)
		await expect(keyward.createKey({ owner: 'a', expiresIn: 5001 })).rejects.toThrow(/maximum/)
		await expect(keyward.createKey({ owner: 'a', expiresAt: null })).rejects.toThrow(/maximum/)
	})
})

describe('management', () => {
	it('lists newest first, filters by owner, keeps revoked keys listed', async () => {
		const { keyward, time } = setup()
		const a = await keyward.createKey({ owner: 'a' })
		time.advance(1)
		const b = await keyward.createKey({ owner: 'a' })
		await keyward.createKey({ owner: 'z' })
		await keyward.revokeKey(a.info.id)
		const listed = await keyward.listKeys({ owner: 'a' })
		expect(listed.map((k) => k.id)).toEqual([b.info.id, a.info.id])
		expect(listed[1]?.revokedAt).toEqual(new Date(time.now()))
		expect(await keyward.listKeys()).toHaveLength(3)
	})

	it('resolves ids, unambiguous id prefixes and full keys', async () => {
		const { keyward } = setup()
		const { key, info } = await keyward.createKey({ owner: 'a' })
		expect((await keyward.getKey(info.id)).id).toBe(info.id)
		expect((await keyward.getKey(info.id.slice(0, 4))).id).toBe(info.id)
		expect((await keyward.getKey(key)).id).toBe(info.id)
		await expect(keyward.getKey(info.id.slice(0, 3))).rejects.toMatchObject({ code: 'key_not_found' })
		await expect(keyward.getKey('zzzzzzzzzzzz')).rejects.toMatchObject({ code: 'key_not_found' })
		await expect(keyward.getKey('not an id!')).rejects.toMatchObject({ code: 'key_not_found' })
		await expect(keyward.getKey('')).rejects.toMatchObject({ code: 'invalid_argument' })
	})

	it('refuses an ambiguous id prefix and changes nothing', async () => {
		const store = new MemoryStore()
		const keyward = createKeyward({ store })
		const { info } = await keyward.createKey({ owner: 'a' })
		const twin = await store.findById(info.id)
		if (twin === null) throw new Error('record missing')
		await store.create({ ...twin, id: `${info.id.slice(0, 6)}XXXXXX`, hash: 'f'.repeat(64) })
		await expect(keyward.revokeKey(info.id.slice(0, 6))).rejects.toMatchObject({ code: 'ambiguous_id' })
		expect((await keyward.getKey(info.id)).revokedAt).toBeNull()
	})

	it('deletes: gone from listings, refused as revoked while cached, then as unknown', async () => {
		const { keyward, time } = setup()
		const { key, info } = await keyward.createKey({ owner: 'a' })
		expect((await keyward.verifyKey(key)).ok).toBe(true)
		await keyward.deleteKey(info.id)
		expect(await keyward.listKeys()).toEqual([])
		expect(await keyward.verifyKey(key)).toMatchObject({ code: 'revoked' })
		time.advance(30_001)
		expect(await keyward.verifyKey(key)).toMatchObject({ code: 'invalid' })
		await expect(keyward.deleteKey(info.id)).rejects.toMatchObject({ code: 'key_not_found' })
	})

	it('revokeAll revokes every active key of one owner only', async () => {
		const { keyward } = setup()
		const keys = await Promise.all([1, 2, 3].map(() => keyward.createKey({ owner: 'a' })))
		const other = await keyward.createKey({ owner: 'b' })
		await keyward.revokeKey(keys[0]?.info.id as string)
		expect(await keyward.revokeAll('a')).toBe(2)
		for (const k of keys) expect(await keyward.verifyKey(k.key)).toMatchObject({ code: 'revoked' })
		expect((await keyward.verifyKey(other.key)).ok).toBe(true)
	})

	it('rotates with a grace period, carrying scopes, quota, metadata and usage', async () => {
		const { keyward, time } = setup()
		const old = await keyward.createKey({
			owner: 'a',
			scopes: ['x'],
			monthlyQuota: 5,
			metadata: { team: 't' },
			expiresIn: 86_400_000,
		})
		await keyward.verifyKey(old.key)
		await keyward.verifyKey(old.key)
		const rotated = await keyward.rotateKey(old.info.id, { graceMs: 60_000 })
		expect(rotated.key).not.toBe(old.key)
		expect(rotated.info).toMatchObject({
			owner: 'a',
			scopes: ['x'],
			monthlyQuota: 5,
			metadata: { team: 't' },
		})
		expect(rotated.info.expiresAt?.getTime()).toBe(time.now() + 86_400_000)
		expect(rotated.previous.expiresAt?.getTime()).toBe(time.now() + 60_000)
		expect(await keyward.usage(rotated.info.id)).toMatchObject({ used: 2, remaining: 3 })
		expect(rotated.info.familyId).toBe(old.info.id)
		expect(rotated.previous.replacedBy).toBe(rotated.info.id)
		expect((await keyward.verifyKey(old.key)).ok).toBe(true)
		expect((await keyward.verifyKey(rotated.key)).ok).toBe(true)
		time.advance(60_000)
		expect(await keyward.verifyKey(old.key)).toMatchObject({ code: 'expired' })
		expect((await keyward.verifyKey(rotated.key)).ok).toBe(true)
	})

	it('counts a rotated key and its successors against one quota, however often it is rotated', async () => {
		const { keyward } = setup()
		const first = await keyward.createKey({ owner: 'a', monthlyQuota: 5 })
		const keys = [first.key]
		let current = first.info.id
		for (let i = 0; i < 3; i++) {
			const next = await keyward.rotateKey(current, { graceMs: 3_600_000 })
			expect(next.info.familyId).toBe(first.info.id)
			keys.push(next.key)
			current = next.info.id
		}
		let served = 0
		for (let round = 0; round < 5; round++) {
			for (const key of keys) if ((await keyward.verifyKey(key)).ok) served++
		}
		expect(served).toBe(5)
		expect(await keyward.usage(current)).toMatchObject({ used: 5, remaining: 0 })
		// A family keeps one key in grace: the older ones ended when their successor was rotated.
		const working = (await Promise.all(keys.map((k) => keyward.verifyKey(k)))).map((r) =>
			r.ok ? 'ok' : r.code,
		)
		expect(working).toEqual(['expired', 'expired', 'quota_exceeded', 'quota_exceeded'])
	})

	it('rotates a key once: a replaced key in its grace period cannot be rotated again', async () => {
		const { keyward } = setup()
		const old = await keyward.createKey({ owner: 'a' })
		await keyward.rotateKey(old.info.id, { graceMs: 60_000 })
		await expect(keyward.rotateKey(old.key)).rejects.toMatchObject({
			code: 'key_not_active',
			message: 'This key was already rotated',
		})
		const results = await Promise.allSettled(
			Array.from({ length: 5 }, async () =>
				keyward.rotateKey((await keyward.createKey({ owner: 'b' })).info.id),
			),
		)
		expect(results.every((r) => r.status === 'fulfilled')).toBe(true)
		expect(await keyward.listKeys({ owner: 'a' })).toHaveLength(2)
	})

	it('takes every instant from the injected clock, audit entries included', async () => {
		const { keyward, store, time } = setup()
		const at = new Date(time.now())
		const events: Date[] = []
		for (const name of ['key.created', 'key.rotated', 'key.revoked', 'key.deleted'] as const)
			keyward.on(name, (e) => events.push(e.at))
		const { info } = await keyward.createKey({ owner: 'clock' })
		const rotated = await keyward.rotateKey(info.id, { graceMs: 1000 })
		await keyward.revokeKey(rotated.info.id)
		await keyward.deleteKey(rotated.info.id)
		expect(events).toEqual([at, at, at, at])
		expect((await store.listAudit({ owner: 'clock' })).map((e) => e.at)).toEqual([at, at, at, at])
	})

	it('rotates without grace by revoking at once; a revoked key cannot be rotated', async () => {
		const { keyward } = setup()
		const old = await keyward.createKey({ owner: 'a' })
		const rotated = await keyward.rotateKey(old.key)
		expect(await keyward.verifyKey(old.key)).toMatchObject({ code: 'revoked' })
		expect(rotated.info.expiresAt).toBeNull()
		await expect(keyward.rotateKey(old.info.id)).rejects.toMatchObject({ code: 'key_not_active' })
	})

	it('updates scopes and quota, effective at once despite the cache', async () => {
		const { keyward } = setup()
		const { key, info } = await keyward.createKey({ owner: 'a', scopes: ['read'] })
		expect(await keyward.verifyKey(key, { scopes: ['write'] })).toMatchObject({ status: 403 })
		await keyward.updateKey(info.id, { scopes: ['read', 'write'], monthlyQuota: 1 })
		expect(await keyward.verifyKey(key, { scopes: ['write'] })).toMatchObject({
			ok: true,
			quota: { limit: 1 },
		})
	})

	it('management calls on a failing store throw store_unavailable', async () => {
		const store = new MemoryStore()
		const keyward = createKeyward({
			store: delegate(store, { list: () => Promise.reject(new Error('ECONNREFUSED')) }),
		})
		const error = await keyward.listKeys().catch((e: unknown) => e)
		expect(error).toBeInstanceOf(KeywardError)
		expect(error).toMatchObject({ code: 'store_unavailable', message: 'Key store unavailable' })
	})
})

describe('lastUsedAt', () => {
	it('is written at most once per key per interval, and flushed on close', async () => {
		const store = new MemoryStore()
		let writes = 0
		const counting = delegate(store, {
			update: (id, patch) => {
				if (patch.lastUsedAt !== undefined) writes++
				return store.update(id, patch)
			},
		})
		let t = Date.UTC(2026, 10, 1)
		const keyward = createKeyward({
			store: counting,
			usage: store,
			now: () => t,
			lastUsed: { intervalMs: 60_000 },
		})
		const { key, info } = await keyward.createKey({ owner: 'a' })
		for (let i = 0; i < 50; i++) {
			await keyward.verifyKey(key)
			t += 10
		}
		expect(writes).toBe(0)
		await keyward.close()
		expect(writes).toBe(1)
		expect((await store.findById(info.id))?.lastUsedAt).toEqual(new Date(t - 10))
	})

	it('reports failed writes as error events and never fails the request', async () => {
		const store = new MemoryStore()
		const keyward = createKeyward({
			store: delegate(store, { update: () => Promise.reject(new Error('disk full')) }),
			usage: store,
		})
		const errors: string[] = []
		keyward.on('error', (e) => errors.push(e.during))
		const { key } = await keyward.createKey({ owner: 'a' })
		expect((await keyward.verifyKey(key)).ok).toBe(true)
		await keyward.close()
		expect(errors).toEqual(['last_used'])
	})
})

describe('pepper', () => {
	it('hashes with HMAC and keeps keys of an older pepper working after rotation', async () => {
		const store = new MemoryStore()
		const v1 = createKeyward({ store, pepper: [{ version: 'v1', secret: 'first secret' }] })
		const { key, info } = await v1.createKey({ owner: 'a' })
		expect((await store.findById(info.id))?.hash).toMatch(/^v1\$[0-9a-f]{64}$/)
		const v2 = createKeyward({
			store,
			pepper: [
				{ version: 'v2', secret: 'second secret' },
				{ version: 'v1', secret: 'first secret' },
			],
		})
		expect((await v2.verifyKey(key)).ok).toBe(true)
		const fresh = await v2.createKey({ owner: 'a' })
		expect((await store.findById(fresh.info.id))?.hash).toMatch(/^v2\$/)
		expect((await v1.verifyKey(fresh.key)).ok).toBe(false)
		expect((await createKeyward({ store }).verifyKey(key)).ok).toBe(false)
	})

	it('caches a key of an older pepper: the store is read once, not on every request', async () => {
		const store = new MemoryStore()
		const v1 = createKeyward({ store, pepper: [{ version: 'v1', secret: 'first secret' }] })
		const { key, info } = await v1.createKey({ owner: 'a' })
		let lookups = 0
		const counted = forwardingStore(store, {
			findByHash: (hash) => {
				lookups++
				return store.findByHash(hash)
			},
		})
		const v2 = createKeyward({
			store: counted,
			usage: store,
			pepper: [
				{ version: 'v2', secret: 'second secret' },
				{ version: 'v1', secret: 'first secret' },
			],
		})
		for (let i = 0; i < 5; i++) expect(await v2.verifyKey(key)).toMatchObject({ ok: true })
		expect(lookups).toBe(2) // the current pepper's hash, then the older one's, once
		// Revoking still reaches the entry, whatever hash it is cached under.
		await v2.revokeKey(info.id)
		expect(await v2.verifyKey(key)).toMatchObject({ ok: false, code: 'revoked' })
	})
})
