import { describe, expect, it } from 'vitest'
import { isKeywardError } from '../errors.js'
import type { AuditStamp, KeyStore } from '../store-types.js'
import type { KeyRecord } from '../types.js'
import { sampleRecord } from './sample-record.js'

const T0 = Date.UTC(2026, 5, 1)
const at = (ms: number) => new Date(T0 + ms)
const stamp: AuditStamp = { actor: 'ada', source: '203.0.113.9' }
const tooMany = (error: unknown) => isKeywardError(error, 'too_many_keys')

/** A record of `owner` created at `T0 + ms`. */
function keyOf(owner: string, ms = 0, overrides: Partial<KeyRecord> = {}): KeyRecord {
	return sampleRecord({ owner, createdAt: at(ms), ...overrides })
}

/**
 * The lifecycle part of the {@link KeyStore} contract: atomic changes under concurrency, and the
 * audit entry recorded with each change by stores that keep a trail (`listAudit`).
 */
export function describeKeyStoreLifecycle(current: () => KeyStore): void {
	const audit = async (keyId: string) => (await current().listAudit?.({ keyId })) ?? null

	describe('findByIdPrefix', () => {
		it('finds ids by case-sensitive prefix, at most limit of them', async () => {
			const store = current()
			const ids = ['Pfx0aaaaaaaa', 'Pfx0aaaaaaab', 'Pfx0b0000000', 'pfx0aaaaaaaa', 'Pfx1aaaaaaaa']
			for (const id of ids) await store.create(sampleRecord({ id }))
			const ofPrefix = async (prefix: string, limit = 10) =>
				(await store.findByIdPrefix(prefix, limit)).map((r) => r.id).sort()
			expect(await ofPrefix('Pfx0a')).toEqual(['Pfx0aaaaaaaa', 'Pfx0aaaaaaab'])
			expect(await ofPrefix('Pfx0')).toEqual(['Pfx0aaaaaaaa', 'Pfx0aaaaaaab', 'Pfx0b0000000'])
			expect(await ofPrefix('pfx0')).toEqual(['pfx0aaaaaaaa'])
			expect(await ofPrefix('Pfx0aaaaaaab')).toEqual(['Pfx0aaaaaaab'])
			expect(await ofPrefix('Pfx2')).toEqual([])
			expect(await ofPrefix('Pfx0', 2)).toHaveLength(2)
			const [found] = await store.findByIdPrefix('Pfx1', 5)
			expect(found).toEqual(await store.findById('Pfx1aaaaaaaa'))
		})
	})

	describe('create with a per-owner limit', () => {
		it('counts only active keys: revoked, expired and replaced ones leave room', async () => {
			const store = current()
			await store.create(keyOf('lim'))
			await store.create(keyOf('lim', 0, { revokedAt: at(1) }))
			await store.create(keyOf('lim', 0, { expiresAt: at(5) }))
			await store.create(keyOf('lim', 0, { replacedBy: 'someone0000', expiresAt: at(1_000) }))
			await store.create(keyOf('other'))
			await store.create(keyOf('lim', 10), { maxActive: 2 })
			await expect(store.create(keyOf('lim', 10), { maxActive: 2 })).rejects.toSatisfy(tooMany)
			expect(await store.list({ owner: 'lim' })).toHaveLength(5)
			await store.create(keyOf('lim', 10), { maxActive: 3 })
		})

		it('never passes the limit under concurrent creates (40 at once, 4 held, limit 20)', async () => {
			const store = current()
			for (let i = 0; i < 4; i++) await store.create(keyOf('busy', i))
			const outcomes = await Promise.allSettled(
				Array.from({ length: 40 }, (_, i) => store.create(keyOf('busy', 100 + i), { maxActive: 20 })),
			)
			expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(16)
			for (const o of outcomes) if (o.status === 'rejected') expect(tooMany(o.reason)).toBe(true)
			expect(await store.list({ owner: 'busy' })).toHaveLength(20)
		})

		it('records the creation with its audit entry, and a refused one with none', async () => {
			const store = current()
			const record = keyOf('aud', 7)
			await store.create(record, { audit: stamp })
			const refused = keyOf('aud', 8)
			await expect(store.create(refused, { maxActive: 1, audit: stamp })).rejects.toSatisfy(tooMany)
			if (store.listAudit === undefined) return
			expect(await audit(record.id)).toEqual([
				{ at: at(7), action: 'key.created', keyId: record.id, owner: 'aud', ...stamp, previousKeyId: null },
			])
			expect(await audit(refused.id)).toEqual([])
		})
	})

	describe('revoke and revokeAll', () => {
		it('revokes once: a second revoke and an unknown id change nothing', async () => {
			const store = current()
			const record = keyOf('rv')
			await store.create(record)
			expect(await store.revoke(record.id, at(5), { audit: stamp })).toEqual({ ...record, revokedAt: at(5) })
			expect(await store.revoke(record.id, at(9), { audit: stamp })).toBeNull()
			expect(await store.revoke('unknown00000', at(9))).toBeNull()
			expect((await store.findById(record.id))?.revokedAt).toEqual(at(5))
			if (store.listAudit === undefined) return
			expect(await audit(record.id)).toEqual([
				{ at: at(5), action: 'key.revoked', keyId: record.id, owner: 'rv', ...stamp, previousKeyId: null },
			])
		})

		it('revokes every active key of one owner, each exactly once under concurrency', async () => {
			const store = current()
			const active = [keyOf('all', 1), keyOf('all', 2), keyOf('all', 3)]
			const revoked = keyOf('all', 4, { revokedAt: at(4) })
			const expired = keyOf('all', 5, { expiresAt: at(6) })
			const other = keyOf('notall', 1)
			for (const r of [...active, revoked, expired, other]) await store.create(r)
			const runs = await Promise.all(
				Array.from({ length: 3 }, () => store.revokeAll('all', at(10), { audit: stamp })),
			)
			const ids = runs.flat().map((r) => r.id)
			expect(ids.sort()).toEqual(active.map((r) => r.id).sort())
			for (const r of runs.flat()) expect(r.revokedAt).toEqual(at(10))
			expect((await store.findById(revoked.id))?.revokedAt).toEqual(at(4))
			expect((await store.findById(expired.id))?.revokedAt).toBeNull()
			expect((await store.findById(other.id))?.revokedAt).toBeNull()
			if (store.listAudit === undefined) return
			for (const r of active) expect(await audit(r.id)).toHaveLength(1)
			expect(await audit(expired.id)).toEqual([])
		})
	})

	describe('rotate', () => {
		it('replaces an active key: the successor joins its family, the old key is revoked or in grace', async () => {
			const store = current()
			const old = keyOf('rot', 0, { expiresAt: at(100_000) })
			await store.create(old)
			const successor = keyOf('rot', 10, { familyId: old.familyId })
			const result = await store.rotate({
				id: old.id,
				successor,
				at: at(10),
				graceEndsAt: null,
				audit: stamp,
			})
			expect(result).toEqual({
				replaced: { ...old, replacedBy: successor.id, revokedAt: at(10) },
				graceEnded: [],
			})
			expect(await store.findById(successor.id)).toEqual(successor)
			const next = keyOf('rot', 20, { familyId: old.familyId })
			const graced = await store.rotate({
				id: successor.id,
				successor: next,
				at: at(20),
				graceEndsAt: at(50),
			})
			expect(graced?.replaced).toEqual({ ...successor, replacedBy: next.id, expiresAt: at(50) })
			if (store.listAudit === undefined) return
			expect(await audit(successor.id)).toContainEqual({
				at: at(10),
				action: 'key.rotated',
				keyId: successor.id,
				owner: 'rot',
				...stamp,
				previousKeyId: old.id,
			})
		})

		it('keeps the earlier expiry when the key would expire within the grace period', async () => {
			const store = current()
			const old = keyOf('soon', 0, { expiresAt: at(30) })
			await store.create(old)
			const successor = keyOf('soon', 10, { familyId: old.familyId })
			const result = await store.rotate({ id: old.id, successor, at: at(10), graceEndsAt: at(500) })
			expect(result?.replaced.expiresAt).toEqual(at(30))
			expect(result?.replaced.revokedAt).toBeNull()
		})

		it('gives exactly one successor to concurrent rotations of one key', async () => {
			const store = current()
			const old = keyOf('race')
			await store.create(old)
			const successors = Array.from({ length: 5 }, (_, i) =>
				keyOf('race', 10 + i, { familyId: old.familyId }),
			)
			const results = await Promise.all(
				successors.map((successor) =>
					store.rotate({ id: old.id, successor, at: at(10), graceEndsAt: at(1_000), audit: stamp }),
				),
			)
			const winners = results.filter((r) => r !== null)
			expect(winners).toHaveLength(1)
			const listed = await store.list({ owner: 'race' })
			expect(listed).toHaveLength(2)
			expect((await store.findById(old.id))?.replacedBy).toBe(listed.find((r) => r.id !== old.id)?.id)
			if (store.listAudit === undefined) return
			expect(
				(await current().listAudit?.({ owner: 'race' }))?.filter((e) => e.action === 'key.rotated'),
			).toHaveLength(1)
		})

		it('refuses a replaced, revoked, expired or unknown key, inserting nothing', async () => {
			const store = current()
			const revoked = keyOf('no', 0, { revokedAt: at(1) })
			const expired = keyOf('no', 0, { expiresAt: at(5) })
			const replaced = keyOf('no', 0, { replacedBy: 'somebody0000', expiresAt: at(900) })
			for (const r of [revoked, expired, replaced]) await store.create(r)
			for (const id of [revoked.id, expired.id, replaced.id, 'unknown00000']) {
				const successor = keyOf('no', 10)
				expect(
					await store.rotate({ id, successor, at: at(10), graceEndsAt: at(100), audit: stamp }),
				).toBeNull()
				expect(await store.findById(successor.id)).toBeNull()
			}
			expect(await store.list({ owner: 'no' })).toHaveLength(3)
		})

		it('keeps at most one key of a family in grace', async () => {
			const store = current()
			const a = keyOf('fam')
			await store.create(a)
			const b = keyOf('fam', 10, { familyId: a.familyId })
			await store.rotate({ id: a.id, successor: b, at: at(10), graceEndsAt: at(1_000) })
			const c = keyOf('fam', 20, { familyId: a.familyId })
			const result = await store.rotate({ id: b.id, successor: c, at: at(20), graceEndsAt: at(1_000) })
			expect(result?.graceEnded).toEqual([{ ...a, replacedBy: b.id, expiresAt: at(20) }])
			expect((await store.findById(a.id))?.expiresAt).toEqual(at(20))
			expect((await store.findById(b.id))?.expiresAt).toEqual(at(1_000))
		})
	})

	describe('delete and purgeInactive', () => {
		it('deletes with its audit entry', async () => {
			const store = current()
			const record = keyOf('del')
			await store.create(record)
			expect(await store.delete(record.id, { at: at(3), audit: stamp })).toBe(true)
			expect(await store.delete(record.id, { at: at(4), audit: stamp })).toBe(false)
			if (store.listAudit === undefined) return
			expect(await audit(record.id)).toEqual([
				{ at: at(3), action: 'key.deleted', keyId: record.id, owner: 'del', ...stamp, previousKeyId: null },
			])
		})

		it('deletes inactive keys beyond the newest `keep`, leaving active ones and other owners alone', async () => {
			const store = current()
			const active = keyOf('pur', 0)
			const inGrace = keyOf('pur', 1, { replacedBy: 'succ00000000', expiresAt: at(500) })
			const inactive = Array.from({ length: 5 }, (_, i) => keyOf('pur', 10 + i, { revokedAt: at(20) }))
			const expired = keyOf('pur', 30, { expiresAt: at(40) })
			const other = keyOf('nopur', 0, { revokedAt: at(1) })
			for (const r of [active, inGrace, ...inactive, expired, other]) await store.create(r)
			const purged = await store.purgeInactive('pur', 2, at(50), { audit: stamp })
			// Newest first: the expired key (30) and the newest revoked one (14) stay.
			expect(purged.map((r) => r.id).sort()).toEqual(
				inactive
					.slice(0, 4)
					.map((r) => r.id)
					.sort(),
			)
			const left = (await store.list({ owner: 'pur' })).map((r) => r.id)
			expect(left.sort()).toEqual([active.id, inGrace.id, inactive[4]?.id, expired.id].sort())
			expect(await store.findById(other.id)).toEqual(other)
			expect(await store.purgeInactive('pur', 2, at(50))).toEqual([])
			if (store.listAudit === undefined) return
			expect((await audit(inactive[0]?.id as string))?.map((e) => e.action)).toEqual(['key.purged'])
		})
	})
}
