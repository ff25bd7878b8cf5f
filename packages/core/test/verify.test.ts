import { describe, expect, it } from 'vitest'
import { createKeyward } from '../src/keyward.js'
import { MemoryStore } from '../src/memory-store.js'
import type { KeyRecord } from '../src/types.js'
import { REJECTIONS } from '../src/wire.js'
import { brokenStore, delegate, setup } from './helpers.js'

const CHALLENGE = { 'WWW-Authenticate': 'Apikey realm="api"' }

describe('verify: the status table', () => {
	it('accepts a valid key and returns its public info', async () => {
		const { keyward } = setup()
		const { key, info } = await keyward.createKey({ owner: 'acme', scopes: ['read:*'] })
		const result = await keyward.verifyKey(key)
		expect(result).toEqual({ ok: true, key: info, headers: {} })
		expect(result.ok && 'hash' in result.key).toBe(false)
	})

	it('missing, malformed, invalid, ambiguous', async () => {
		const { keyward } = setup()
		const other = createKeyward()
		const { key: unknown } = await other.createKey({ owner: 'x' })
		expect(await keyward.verify({ headers: {}, url: '/' })).toEqual({
			ok: false,
			status: 401,
			code: 'missing',
			detail: 'Not authenticated',
			headers: CHALLENGE,
		})
		expect(await keyward.verifyKey('kw_nope')).toMatchObject({
			status: 401,
			code: 'malformed',
			detail: 'Invalid API key',
			headers: CHALLENGE,
		})
		expect(await keyward.verifyKey(unknown)).toMatchObject({
			status: 401,
			code: 'invalid',
			detail: 'Invalid API key',
			headers: CHALLENGE,
		})
		expect(
			await keyward.verify({ headers: { 'x-api-key': unknown }, url: '/?api_key=kw_other' }),
		).toMatchObject({
			status: 401,
			code: 'ambiguous',
			detail: 'Multiple API keys provided',
		})
	})

	it('revoked, and revoked despite a warm cache', async () => {
		const { keyward } = setup()
		const { key, info } = await keyward.createKey({ owner: 'acme' })
		expect((await keyward.verifyKey(key)).ok).toBe(true)
		await keyward.revokeKey(info.id)
		expect(await keyward.verifyKey(key)).toMatchObject({
			status: 401,
			code: 'revoked',
			detail: 'API key has been revoked',
			keyId: info.id,
		})
	})

	it('expired from exactly expiresAt', async () => {
		const { keyward, time } = setup()
		const { key, info } = await keyward.createKey({ owner: 'acme', expiresIn: 60_000 })
		expect(info.expiresAt?.getTime()).toBe(time.now() + 60_000)
		time.advance(59_999)
		expect((await keyward.verifyKey(key)).ok).toBe(true)
		time.advance(1)
		expect(await keyward.verifyKey(key)).toMatchObject({
			status: 401,
			code: 'expired',
			detail: 'API key has expired',
		})
	})

	it('insufficient scope is 403 without WWW-Authenticate', async () => {
		const { keyward } = setup()
		const { key } = await keyward.createKey({ owner: 'acme', scopes: ['read:*'] })
		expect((await keyward.verifyKey(key, { scopes: ['read:users'] })).ok).toBe(true)
		expect(await keyward.verifyKey(key, { scopes: ['read:users', 'write:users'] })).toEqual({
			ok: false,
			status: 403,
			code: 'insufficient_scope',
			detail: 'Insufficient scope',
			headers: {},
			keyId: expect.any(String),
		})
	})

	it('wrong environment is refused before any store access', async () => {
		let lookups = 0
		const store = new MemoryStore()
		const counting = delegate(store, {
			findByHash: (hash: string) => {
				lookups++
				return store.findByHash(hash)
			},
		})
		const live = createKeyward({ store, environment: 'live' })
		const test = createKeyward({ store: counting, environment: 'test' })
		const { key } = await live.createKey({ owner: 'acme' })
		expect(key.startsWith('kw_live_')).toBe(true)
		expect(await test.verifyKey(key)).toMatchObject({ status: 401, code: 'wrong_environment' })
		expect(await test.verifyKey('kw_live_garbage')).toMatchObject({ code: 'malformed' })
		expect(lookups).toBe(0)
	})

	it('a failing or hanging store gives 503, never a pass, and recovers', async () => {
		const real = new MemoryStore()
		let broken = false
		const flaky = delegate(real, {
			findByHash: (h) => (broken ? Promise.reject(new Error('down')) : real.findByHash(h)),
		})
		const keyward = createKeyward({ store: flaky, usage: real, cache: false })
		const { key } = await keyward.createKey({ owner: 'acme' })
		broken = true
		expect(await keyward.verifyKey(key)).toMatchObject({
			ok: false,
			status: 503,
			code: 'unavailable',
			detail: 'Authentication unavailable',
			headers: {},
		})
		broken = false
		expect((await keyward.verifyKey(key)).ok).toBe(true)

		const hanging = createKeyward({ store: brokenStore(true), storeTimeoutMs: 20 })
		const { key: k2 } = await createKeyward().createKey({ owner: 'x' })
		expect(await hanging.verifyKey(k2)).toMatchObject({ status: 503, code: 'unavailable' })
	})

	it('a store returning a row for another hash, or garbage, fails closed', async () => {
		const { keyward, store } = setup({ cache: false })
		const { key: a } = await keyward.createKey({ owner: 'a' })
		const { info: bInfo } = await keyward.createKey({ owner: 'b' })
		const bRecord = (await store.findById(bInfo.id)) as KeyRecord
		const liar = delegate(store, { findByHash: async () => bRecord })
		expect(await createKeyward({ store: liar, usage: store }).verifyKey(a)).toMatchObject({ status: 503 })
		const garbage = delegate(store, { findByHash: async () => ({ id: 1 }) as unknown as KeyRecord })
		expect(await createKeyward({ store: garbage, usage: store }).verifyKey(a)).toMatchObject({ status: 503 })
	})

	it('a quota counter failure gives 503', async () => {
		const store = new MemoryStore()
		const keyward = createKeyward({ store, usage: brokenStore() })
		const { key } = await keyward.createKey({ owner: 'acme', monthlyQuota: 10 })
		expect(await keyward.verifyKey(key)).toMatchObject({ status: 503, code: 'unavailable' })
	})

	it('uses the realm in WWW-Authenticate and escapes it', async () => {
		const keyward = createKeyward({ realm: 'my "api"' })
		expect((await keyward.verifyKey('x')).headers).toEqual({
			'WWW-Authenticate': 'Apikey realm="my \\"api\\""',
		})
	})

	it('the REJECTIONS table is the design table', () => {
		expect(REJECTIONS).toMatchObject({
			missing: { status: 401, detail: 'Not authenticated' },
			malformed: { status: 401, detail: 'Invalid API key' },
			invalid: { status: 401, detail: 'Invalid API key' },
			revoked: { status: 401, detail: 'API key has been revoked' },
			expired: { status: 401, detail: 'API key has expired' },
			ambiguous: { status: 401, detail: 'Multiple API keys provided' },
			insufficient_scope: { status: 403, detail: 'Insufficient scope' },
			quota_exceeded: { status: 429, detail: 'Monthly quota exceeded' },
			unavailable: { status: 503, detail: 'Authentication unavailable' },
		})
	})
})

describe('verify: request handling', () => {
	it('strips a query key from req.url by default, on success and failure', async () => {
		const { keyward } = setup()
		const { key } = await keyward.createKey({ owner: 'acme' })
		const ok = { headers: {}, url: `/r?x=1&api_key=${key}` }
		expect((await keyward.verify(ok)).ok).toBe(true)
		expect(ok.url).toBe('/r?x=1')
		const bad = { headers: {}, url: '/r?api_key=kw_typo&y=2' }
		expect((await keyward.verify(bad)).ok).toBe(false)
		expect(bad.url).toBe('/r?y=2')
	})

	it('hideCredentials true removes the header; false leaves the request alone', async () => {
		const { keyward } = setup()
		const { key } = await keyward.createKey({ owner: 'acme' })
		const a = { headers: { authorization: `Apikey ${key}` } as Record<string, string | undefined>, url: '/' }
		await keyward.verify(a, { hideCredentials: true })
		expect(a.headers.authorization).toBeUndefined()
		const b = { headers: {}, url: `/?api_key=${key}` }
		await keyward.verify(b, { hideCredentials: false })
		expect(b.url).toBe(`/?api_key=${key}`)
	})

	it('coalesces concurrent cache misses into one store lookup', async () => {
		const store = new MemoryStore()
		let lookups = 0
		const counting = delegate(store, {
			findByHash: (h: string) => {
				lookups++
				return store.findByHash(h)
			},
		})
		const keyward = createKeyward({ store: counting, usage: store })
		const { key } = await keyward.createKey({ owner: 'acme' })
		const results = await Promise.all(Array.from({ length: 100 }, () => keyward.verifyKey(key)))
		expect(results.every((r) => r.ok)).toBe(true)
		expect(lookups).toBe(1)
		// The unknown-key answer is cached too (negative cache).
		const { key: stranger } = await createKeyward().createKey({ owner: 'x' })
		await keyward.verifyKey(stranger)
		await keyward.verifyKey(stranger)
		expect(lookups).toBe(2)
	})

	it('rejects a bad cost as a programming error', async () => {
		const { keyward } = setup()
		await expect(keyward.verifyKey('x', { cost: -1 })).rejects.toMatchObject({ code: 'invalid_argument' })
		await expect(keyward.verifyKey('x', { cost: 1.5 })).rejects.toMatchObject({ code: 'invalid_argument' })
	})
})

describe('verify: hardening', () => {
	it('never reads a key from the fragment, even one shaped like a query', async () => {
		const { keyward } = setup()
		const { key } = await keyward.createKey({ owner: 'a' })
		const req = { headers: {}, url: `/x#y?api_key=${key}` }
		expect(await keyward.verify(req)).toMatchObject({ code: 'missing' })
	})

	it('hideCredentials true drops every credential header of an ambiguous request', async () => {
		const { keyward } = setup()
		const req = {
			headers: { authorization: 'Apikey kw_a', 'x-api-key': 'kw_b' } as Record<string, string | undefined>,
			rawHeaders: ['Authorization', 'Apikey kw_a', 'X-Api-Key', 'kw_b', 'Accept', '*/*'],
			url: '/',
		}
		expect(await keyward.verify(req, { hideCredentials: true })).toMatchObject({ code: 'ambiguous' })
		expect(req.headers).toEqual({})
		expect(req.rawHeaders).toEqual(['Accept', '*/*'])
	})

	it('a usage counter answering garbage fails closed', async () => {
		for (const answer of [
			null,
			undefined,
			{},
			{ allowed: 'yes', used: 1 },
			{ allowed: true, used: 'x' },
			{ allowed: true, used: -1 },
		]) {
			// The same garbage answered at once, without a promise, fails closed too.
			for (const consume of [async () => answer as never, () => answer as never]) {
				const keyward = createKeyward({ store: new MemoryStore(), usage: { consume } })
				const { key } = await keyward.createKey({ owner: 'a', monthlyQuota: 5 })
				expect(await keyward.verifyKey(key), JSON.stringify(answer)).toMatchObject({
					status: 503,
					code: 'unavailable',
				})
			}
		}
	})

	it('a usage counter that answers synchronously is counted exactly, and one that throws fails closed', async () => {
		const counts = new Map<string, number>()
		const consume = (id: string, _period: string, cost: number, limit: number) => {
			const used = counts.get(id) ?? 0
			if (used + cost > limit) return { allowed: false, used }
			counts.set(id, used + cost)
			return { allowed: true, used: used + cost }
		}
		const keyward = createKeyward({ store: new MemoryStore(), usage: { consume } })
		const { key } = await keyward.createKey({ owner: 'a', monthlyQuota: 3 })
		const results = await Promise.all(Array.from({ length: 5 }, () => keyward.verifyKey(key)))
		expect(results.map((r) => (r.ok ? r.quota?.remaining : r.code))).toEqual([
			2,
			1,
			0,
			'quota_exceeded',
			'quota_exceeded',
		])
		const throwing = createKeyward({
			store: new MemoryStore(),
			usage: {
				consume: () => {
					throw new Error('counter down')
				},
			},
		})
		const { key: other } = await throwing.createKey({ owner: 'a', monthlyQuota: 3 })
		expect(await throwing.verifyKey(other)).toMatchObject({ status: 503, code: 'unavailable' })
		expect(await throwing.usage(other).catch((error: unknown) => (error as Error).name)).toBe('KeywardError')
	})
})
