import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createKeyward } from '../src/keyward.js'
import { MemoryStore } from '../src/memory-store.js'
import { hasScopes, intersectScopes, scopeGrants } from '../src/scopes.js'
import { setup, sharedChannel } from './helpers.js'

describe('owner records', () => {
	it('gives an inheriting key its owner’s current scopes, and takes them away at once', async () => {
		const { keyward } = setup()
		await keyward.setOwner('tiled-user', { scopes: ['read:data', 'write:notes'] })
		const { key, info } = await keyward.createKey({ owner: 'tiled-user', scopes: 'inherit' })
		expect(info.scopes).toBe('inherit')
		const ok = await keyward.verifyKey(key, { scopes: ['read:data'] })
		expect(ok).toMatchObject({ ok: true, key: { scopes: ['read:data', 'write:notes'] } })
		await keyward.setOwner('tiled-user', { scopes: ['write:notes'] })
		expect(await keyward.verifyKey(key, { scopes: ['read:data'] })).toMatchObject({
			status: 403,
			code: 'insufficient_scope',
		})
		expect((await keyward.verifyKey(key)).ok && (await keyward.verifyKey(key))).toMatchObject({
			key: { scopes: ['write:notes'] },
		})
	})

	it('narrows an explicit key to what its owner may do, wildcards included', async () => {
		const { keyward } = setup()
		const { key } = await keyward.createKey({ owner: 'acme', scopes: ['read:*', 'admin'] })
		// No record yet: the key is bounded by nothing but itself.
		expect(await keyward.verifyKey(key, { scopes: ['admin'] })).toMatchObject({ ok: true })
		await keyward.setOwner('acme', { scopes: ['read:users', 'write:*'] })
		expect(await keyward.verifyKey(key, { scopes: ['admin'] })).toMatchObject({ code: 'insufficient_scope' })
		expect(await keyward.verifyKey(key)).toMatchObject({ ok: true, key: { scopes: ['read:users'] } })
		// A record without scopes restricts nothing.
		await keyward.setOwner('acme', { scopes: null })
		expect(await keyward.verifyKey(key, { scopes: ['admin'] })).toMatchObject({ ok: true })
	})

	it('gives an inheriting key of an owner without a record, or with unrestricted scopes, no scopes', async () => {
		const { keyward } = setup()
		const { key } = await keyward.createKey({ owner: 'nobody', scopes: 'inherit' })
		expect(await keyward.verifyKey(key)).toMatchObject({ ok: true, key: { scopes: [] } })
		expect(await keyward.verifyKey(key, { scopes: ['read'] })).toMatchObject({ code: 'insufficient_scope' })
		await keyward.setOwner('nobody', { monthlyQuota: 5 })
		expect(await keyward.verifyKey(key)).toMatchObject({ ok: true, key: { scopes: [] } })
	})

	it('refuses every key of a disabled owner, counting nothing, until it is enabled', async () => {
		const { keyward } = setup()
		await keyward.setOwner('valsight', { monthlyQuota: 100 })
		const a = await keyward.createKey({ owner: 'valsight', monthlyQuota: 10 })
		const b = await keyward.createKey({ owner: 'valsight' })
		await keyward.verifyKey(a.key)
		await keyward.setOwner('valsight', { disabled: true })
		for (const { key } of [a, b]) {
			expect(await keyward.verifyKey(key)).toMatchObject({
				ok: false,
				status: 403,
				code: 'owner_disabled',
				detail: 'The account is disabled',
			})
		}
		expect((await keyward.ownerUsage('valsight')).used).toBe(1)
		expect((await keyward.usage(a.info.id)).used).toBe(1)
		await keyward.setOwner('valsight', { disabled: false })
		expect((await keyward.verifyKey(b.key)).ok).toBe(true)
	})

	it('shares an owner’s quota between its keys, and still holds a key’s own lower limit', async () => {
		const { keyward } = setup()
		await keyward.setOwner('dlubal', { monthlyQuota: 10 })
		const keys = await Promise.all(
			[null, null, 2].map((monthlyQuota) => keyward.createKey({ owner: 'dlubal', monthlyQuota })),
		)
		const results = []
		for (let i = 0; i < 30; i++) results.push(await keyward.verifyKey(keys[i % 3]?.key as string))
		expect(results.filter((r) => r.ok)).toHaveLength(10)
		const codes = results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.code))
		expect(new Set(codes)).toEqual(new Set(['quota_exceeded', 'owner_quota_exceeded']))
		const limited = results.filter((_, i) => i % 3 === 2)
		expect(limited.filter((r) => r.ok)).toHaveLength(2)
		const perKey = await Promise.all(keys.map(async (k) => (await keyward.usage(k.info.id)).used))
		expect(perKey.reduce((a, b) => a + b, 0)).toBe(10)
		expect(await keyward.ownerUsage('dlubal')).toMatchObject({ used: 10, limit: 10, remaining: 0 })
		const refused = results.find((r) => !r.ok && r.code === 'owner_quota_exceeded')
		expect(refused).toMatchObject({ detail: 'Monthly request limit of the account exceeded', status: 429 })
		expect(refused?.headers['Retry-After']).toMatch(/^\d+$/)
	})

	it('describes both limits in the RateLimit headers, and the tighter one in quota', async () => {
		const { keyward } = setup()
		await keyward.setOwner('acme', { monthlyQuota: 100 })
		const own = await keyward.createKey({ owner: 'acme', monthlyQuota: 5 })
		const shared = await keyward.createKey({ owner: 'acme' })
		const first = await keyward.verifyKey(own.key)
		if (!first.ok) throw new Error(first.code)
		expect(first.headers['RateLimit-Policy']).toMatch(/^"monthly";q=5;w=\d+, "account";q=100;w=\d+$/)
		expect(first.headers.RateLimit).toMatch(/^"monthly";r=4;t=\d+, "account";r=99;t=\d+$/)
		expect(first.quota).toMatchObject({ limit: 5, remaining: 4, scope: 'key' })
		const second = await keyward.verifyKey(shared.key)
		if (!second.ok) throw new Error(second.code)
		expect(second.headers['RateLimit-Policy']).toMatch(/^"account";q=100;w=\d+$/)
		expect(second.quota).toMatchObject({ limit: 100, remaining: 98, scope: 'owner' })
	})

	it('reaches every instance through the invalidation channel', async () => {
		const store = new MemoryStore()
		const channel = sharedChannel()
		const a = createKeyward({ store, invalidation: channel() })
		const b = createKeyward({ store, invalidation: channel() })
		await a.setOwner('acme', { scopes: ['read'] })
		const { key } = await a.createKey({ owner: 'acme', scopes: 'inherit' })
		expect(await b.verifyKey(key, { scopes: ['read'] })).toMatchObject({ ok: true })
		await a.setOwner('acme', { scopes: [] })
		expect(await b.verifyKey(key, { scopes: ['read'] })).toMatchObject({ code: 'insufficient_scope' })
		await a.setOwner('acme', { disabled: true })
		expect(await b.verifyKey(key)).toMatchObject({ code: 'owner_disabled' })
		// Without a channel another instance sees the change once its cache entry ages out.
		const c = createKeyward({ store, cache: { ttlMs: 1000 } })
		await a.setOwner('acme', { disabled: false })
		expect(await c.verifyKey(key)).toMatchObject({ ok: true })
	})

	it('reads usage of past periods, for keys and owners', async () => {
		const { keyward, time } = setup()
		await keyward.setOwner('acme', { monthlyQuota: 50 })
		const { key, info } = await keyward.createKey({ owner: 'acme' })
		await keyward.verifyKey(key)
		await keyward.verifyKey(key)
		time.advance(31 * 86_400_000)
		await keyward.verifyKey(key)
		expect(await keyward.usage(info.id, { period: '2026-11' })).toMatchObject({ period: '2026-11', used: 2 })
		expect(await keyward.ownerUsage('acme', { period: '2026-11' })).toMatchObject({ used: 2, limit: 50 })
		expect(await keyward.ownerUsage('acme')).toMatchObject({ period: '2026-12', used: 1 })
		for (const period of ['2026-13', '26-11', 'now', '']) {
			await expect(keyward.usage(info.id, { period })).rejects.toMatchObject({ code: 'invalid_argument' })
		}
	})

	it('validates owner changes with clear errors and changes nothing', async () => {
		const { keyward } = setup()
		const cases: [unknown, RegExp][] = [
			[null, /setOwner patch must be an object/],
			[[], /setOwner patch must be an object/],
			[{ quota: 5 }, /Unknown option "quota" in setOwner patch \(did you mean "monthlyQuota"\?\)/],
			[{ scopes: 'read' }, /scopes/],
			[{ scopes: ['a b'] }, /scope/],
			[{ monthlyQuota: -1 }, /monthlyQuota/],
			[{ disabled: 'yes' }, /disabled/],
			[{ metadata: [] }, /metadata/],
		]
		for (const [patch, message] of cases) {
			await expect(keyward.setOwner('acme', patch as never)).rejects.toThrow(message)
		}
		await expect(keyward.setOwner('', {})).rejects.toThrow(/owner/)
		expect(await keyward.getOwner('acme')).toBeNull()
		expect(await keyward.listOwners()).toEqual([])
	})

	it('refuses an owner quota when the counter cannot count two limits at once', async () => {
		const consume = () => ({ allowed: true, used: 1 })
		const keyward = createKeyward({ store: new MemoryStore(), usage: { consume } })
		await expect(keyward.setOwner('acme', { monthlyQuota: 5 })).rejects.toThrow(/cannot count a quota shared/)
		expect((await keyward.setOwner('acme', { scopes: ['read'] })).monthlyQuota).toBeNull()
	})

	it('gives every counter the owner as its group, the same for a counter in every call', async () => {
		const counters = new MemoryStore()
		const groups = new Map<string, Set<string | undefined>>()
		const seen = (id: string, group: string | undefined) => {
			const set = groups.get(id) ?? new Set()
			groups.set(id, set.add(group))
		}
		const keyward = createKeyward({
			store: new MemoryStore(),
			usage: {
				consume(id, period, cost, limit, group) {
					seen(id, group)
					return counters.consume(id, period, cost, limit)
				},
				consumeAll(list, period, cost) {
					for (const { id, group } of list) seen(id, group)
					return counters.consumeAll(list, period, cost)
				},
			},
		})
		const first = await keyward.createKey({ owner: 'acme', monthlyQuota: 10 })
		await keyward.verifyKey(first.key) // consume: the owner has no quota yet
		await keyward.setOwner('acme', { monthlyQuota: 100 })
		await keyward.verifyKey(first.key) // consumeAll: the key's counter and the owner's
		const next = await keyward.rotateKey(first.info.id)
		await keyward.verifyKey(next.key)
		await keyward.usage(next.info.id)
		await keyward.ownerUsage('acme')
		expect(Object.fromEntries([...groups].map(([id, set]) => [id, [...set]]))).toEqual({
			[first.info.familyId]: ['acme'],
			'owner:acme': ['acme'],
		})
	})

	it('keeps the owner’s scopes through rotation of an inheriting key', async () => {
		const { keyward } = setup()
		await keyward.setOwner('acme', { scopes: ['read'] })
		const first = await keyward.createKey({ owner: 'acme', scopes: 'inherit' })
		const next = await keyward.rotateKey(first.info.id)
		expect(next.info.scopes).toBe('inherit')
		expect(await keyward.verifyKey(next.key, { scopes: ['read'] })).toMatchObject({ ok: true })
	})
})

describe('intersectScopes', () => {
	const scope = fc.oneof(
		fc.constantFrom('*', 'read:*', 'read:users', 'read:users:42', 'write:*', 'write:users', 'admin'),
		fc.stringMatching(/^[a-z]{1,3}(:[a-z*]{1,3}){0,2}$/),
	)

	it('grants exactly what both lists grant', () => {
		fc.assert(
			fc.property(
				fc.array(scope, { maxLength: 5 }),
				fc.array(scope, { maxLength: 5 }),
				scope,
				(a, b, wanted) => {
					const both = intersectScopes(a, b)
					const byBoth = hasScopes(a, [wanted]) && hasScopes(b, [wanted])
					expect(hasScopes(both, [wanted])).toBe(byBoth)
				},
			),
			{ numRuns: 2000 },
		)
	})

	it('meets wildcards where they overlap', () => {
		expect(intersectScopes(['read:*', 'admin'], ['read:users', 'write:*'])).toEqual(['read:users'])
		expect(intersectScopes(['*'], ['a', 'b:*'])).toEqual(['a', 'b:*'])
		expect(intersectScopes(['read:*'], ['read:*'])).toEqual(['read:*'])
		expect(intersectScopes([], ['*'])).toEqual([])
		expect(scopeGrants('read:*', 'read:users')).toBe(true)
	})
})
