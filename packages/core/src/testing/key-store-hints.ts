import { describe, expect, it } from 'vitest'
import type { KeyStore } from '../store-types.js'
import { sampleRecord } from './sample-record.js'

/**
 * Hints and imports in the {@link KeyStore} contract: the `hint` field kept verbatim (or `null`),
 * `findByHint` matching it exactly, and a create with `action: 'key.imported'` audited as such.
 */
export function describeKeyStoreHints(current: () => KeyStore): void {
	describe('hints', () => {
		it('keeps a hint verbatim, and null as null', async () => {
			const store = current()
			const hinted = sampleRecord({ hint: 'acme_live_3mQ7' })
			const unhinted = sampleRecord({ hint: null })
			const legacy = sampleRecord({ hint: 'ak-\'"\\%_' })
			for (const record of [hinted, unhinted, legacy]) await store.create(record)
			expect(await store.findById(hinted.id)).toEqual(hinted)
			expect((await store.findByHash(unhinted.hash))?.hint).toBeNull()
			expect((await store.findById(legacy.id))?.hint).toBe(legacy.hint)
		})

		it('finds records by exact, case-sensitive hint, at most limit of them', async () => {
			const store = current()
			const twins = [sampleRecord({ hint: 'kw_Twin' }), sampleRecord({ hint: 'kw_Twin' })]
			const others = [
				sampleRecord({ hint: 'kw_twin' }),
				sampleRecord({ hint: 'kw_Twin0' }),
				sampleRecord({ hint: 'kw_Twi' }),
				sampleRecord({ hint: null }),
			]
			for (const record of [...twins, ...others]) await store.create(record)
			const ids = async (hint: string, limit = 10) =>
				(await store.findByHint(hint, limit)).map((r) => r.id).sort()
			expect(await ids('kw_Twin')).toEqual(twins.map((r) => r.id).sort())
			expect(await store.findByHint('kw_Twin', 1)).toHaveLength(1)
			expect(await ids('kw_twin')).toEqual([others[0]?.id])
			expect(await ids('kw_Tw')).toEqual([])
			expect(await ids('kw_Twin%')).toEqual([])
			expect(await ids('')).toEqual([])
			const [found] = await store.findByHint('kw_Twin0', 5)
			expect(found).toEqual(others[1])
			// A shared hint keeps naming the keys that still have it, one by one.
			const third = sampleRecord({ hint: 'kw_Twin' })
			await store.create(third)
			for (const gone of [twins[0], third]) await store.delete(gone?.id as string)
			expect(await ids('kw_Twin')).toEqual([twins[1]?.id])
			await store.delete(twins[1]?.id as string)
			expect(await ids('kw_Twin')).toEqual([])
			expect(await ids('kw_twin')).toEqual([others[0]?.id])
		})

		it('keeps hints through updates, rotations and deletes', async () => {
			const store = current()
			const old = sampleRecord({ hint: 'kw_Old1', createdAt: new Date(Date.UTC(2026, 0, 1)) })
			await store.create(old)
			await store.update(old.id, { name: 'renamed', metadata: { a: 1 } })
			expect((await store.findById(old.id))?.hint).toBe('kw_Old1')
			const successor = sampleRecord({ hint: 'kw_New1', familyId: old.familyId })
			const at = new Date(Date.UTC(2026, 0, 2))
			expect(await store.rotate({ id: old.id, successor, at, graceEndsAt: null })).not.toBeNull()
			expect(await store.findById(successor.id)).toEqual(successor)
			expect((await store.findByHint('kw_New1', 5)).map((r) => r.id)).toEqual([successor.id])
			expect(await store.delete(successor.id)).toBe(true)
			expect(await store.findByHint('kw_New1', 5)).toEqual([])
			expect((await store.findByHint('kw_Old1', 5)).map((r) => r.id)).toEqual([old.id])
		})

		it('records an import as key.imported, and a plain create as key.created', async () => {
			const store = current()
			if (store.listAudit === undefined) return
			const stamp = { actor: 'migrator', source: 'import.jsonl' }
			const imported = sampleRecord({ hint: 'abcd1234' })
			const created = sampleRecord()
			await store.create(imported, { audit: stamp, action: 'key.imported' })
			await store.create(created, { audit: stamp })
			expect((await store.listAudit({ keyId: imported.id })).map((e) => [e.action, e.actor])).toEqual([
				['key.imported', 'migrator'],
			])
			expect((await store.listAudit({ keyId: created.id })).map((e) => e.action)).toEqual(['key.created'])
		})
	})
}
