import { describe, expect, it } from 'vitest'
import type { AuditStamp, KeyStore } from '../store-types.js'
import { sampleRecord } from './sample-record.js'

const at = (ms: number) => new Date(Date.UTC(2026, 5, 1) + ms)
const stamp: AuditStamp = { actor: 'ops', source: 'cli@host' }

/** The owner-record part of the {@link KeyStore} contract. */
export function describeKeyStoreOwners(current: () => KeyStore, freshOwner: () => string): void {
	describe('owner records', () => {
		it('round-trips a key that inherits its scopes, and updates it both ways', async () => {
			const store = current()
			const record = sampleRecord({ scopes: 'inherit' })
			await store.create(record)
			expect(await store.findByHash(record.hash)).toEqual(record)
			expect(await store.update(record.id, { scopes: ['read'] })).toMatchObject({ scopes: ['read'] })
			expect(await store.update(record.id, { scopes: 'inherit' })).toMatchObject({ scopes: 'inherit' })
			expect((await store.list({ owner: record.owner })).find((r) => r.id === record.id)?.scopes).toBe(
				'inherit',
			)
		})

		it('answers null for an owner without a record, and creates one with defaults on first change', async () => {
			const store = current()
			const id = freshOwner()
			expect(await store.getOwner(id)).toBeNull()
			const created = await store.setOwner(id, { monthlyQuota: 100 }, at(1), { audit: stamp })
			expect(created).toEqual({
				id,
				scopes: null,
				monthlyQuota: 100,
				disabled: false,
				metadata: {},
				createdAt: at(1),
				updatedAt: at(1),
			})
			expect(await store.getOwner(id)).toEqual(created)
		})

		it('changes only the given fields, can clear scopes and quota, and round-trips metadata', async () => {
			const store = current()
			const id = freshOwner()
			await store.setOwner(
				id,
				{ scopes: ['read:*', 'ümlaut'], monthlyQuota: 5, metadata: { plan: { tier: 'gold' } } },
				at(1),
			)
			const disabled = await store.setOwner(id, { disabled: true }, at(2))
			expect(disabled).toMatchObject({
				scopes: ['read:*', 'ümlaut'],
				monthlyQuota: 5,
				disabled: true,
				metadata: { plan: { tier: 'gold' } },
				createdAt: at(1),
				updatedAt: at(2),
			})
			const cleared = await store.setOwner(id, { scopes: null, monthlyQuota: null, disabled: false }, at(3))
			expect(cleared).toMatchObject({ scopes: null, monthlyQuota: null, disabled: false })
			expect(await store.setOwner(id, { scopes: [] }, at(4))).toMatchObject({ scopes: [] })
			expect(await store.getOwner(id)).toMatchObject({ scopes: [], updatedAt: at(4) })
		})

		it('lists owners by id, a page at a time', async () => {
			const store = current()
			const base = freshOwner()
			const ids = ['c', 'a', 'b'].map((s) => `${base}-${s}`)
			for (const id of ids) await store.setOwner(id, {}, at(1))
			const mine = async (after?: string) =>
				(await store.listOwners({ after, limit: 1000 })).map((o) => o.id).filter((id) => id.startsWith(base))
			expect(await mine()).toEqual([...ids].sort())
			expect(await mine(`${base}-a`)).toEqual([`${base}-b`, `${base}-c`])
			expect((await store.listOwners({ limit: 1 })).length).toBeLessThanOrEqual(1)
		})

		it('keeps one record under concurrent changes of one owner', async () => {
			const store = current()
			const id = freshOwner()
			await Promise.all(Array.from({ length: 10 }, (_, i) => store.setOwner(id, { monthlyQuota: i }, at(i))))
			const owner = await store.getOwner(id)
			expect(owner?.monthlyQuota).toBeGreaterThanOrEqual(0)
			expect((await store.listOwners({ limit: 1000 })).filter((o) => o.id === id)).toHaveLength(1)
		})

		it('records each change with its audit entry, where the store keeps a trail', async () => {
			const store = current()
			const id = freshOwner()
			await store.setOwner(id, { disabled: true }, at(7), { audit: stamp })
			if (store.listAudit === undefined) return
			expect(await store.listAudit({ owner: id })).toEqual([
				{ at: at(7), action: 'owner.changed', keyId: null, owner: id, ...stamp, previousKeyId: null },
			])
		})
	})
}
