import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isKeywardError } from '../errors.js'
import type { KeyStore } from '../store-types.js'
import { describeKeyStoreHints } from './key-store-hints.js'
import { describeKeyStoreLifecycle } from './key-store-lifecycle.js'
import { describeKeyStoreOwners } from './key-store-owners.js'
import { describeKeyStoreSessions } from './key-store-sessions.js'
import { sampleRecord } from './sample-record.js'

const isDuplicate = (error: unknown) => isKeywardError(error, 'duplicate_key')

/**
 * The behaviour every {@link KeyStore} must have. Call inside a vitest file:
 * `runKeyStoreConformance(() => new MyStore())`. The factory must return a fresh, empty store
 * for every test; the suite calls the store's `close()` after each test.
 * @example
 * describe('MyStore', () => runKeyStoreConformance(async () => MyStore.open(testUrl)))
 */
export function runKeyStoreConformance(factory: () => KeyStore | Promise<KeyStore>): void {
	describe('KeyStore conformance', () => {
		let store: KeyStore
		beforeEach(async () => {
			store = await factory()
		})
		afterEach(async () => {
			await store.close?.()
		})

		describeKeyStoreLifecycle(() => store)
		describeKeyStoreHints(() => store)
		describeKeyStoreOwners(
			() => store,
			() => `acct-${sampleRecord().id}`,
		)
		describeKeyStoreSessions(() => store)

		it('round-trips every field (Dates, nulls, unicode, nested metadata)', async () => {
			const record = sampleRecord({
				owner: 'ÿnicode-ø-😀',
				name: 'O\'Brien "quoted" \\ name; DROP TABLE keys --',
				note: 'line one\nline two\ttab',
				scopes: ['*', 'read:ümlaut'],
				expiresAt: new Date(Date.UTC(2030, 5, 6, 7, 8, 9, 123)),
				revokedAt: new Date(Date.UTC(2027, 1, 1)),
				lastUsedAt: new Date(Date.UTC(2026, 10, 23, 1, 2, 3, 4)),
				monthlyQuota: 1_000_000,
				metadata: {
					plan: 'pro',
					nested: { list: [1, 'two', null, { deep: true }], empty: {}, none: [] },
					emoji: '🔑',
					'ключ with spaces': 'значение',
					numbers: { float: 0.1, negative: -42, big: 2 ** 53 - 1, exp: 1.5e-7 },
					flags: [true, false],
				},
			})
			await store.create(record)
			expect(await store.findByHash(record.hash)).toEqual(record)
			expect(await store.findById(record.id)).toEqual(record)
			const found = await store.findById(record.id)
			expect(found?.createdAt).toBeInstanceOf(Date)
			expect(found?.expiresAt).toBeInstanceOf(Date)
			expect(found?.expiresAt?.getTime()).toBe(record.expiresAt?.getTime())
		})

		it('round-trips edge values: empty lists, zero and large quotas, epoch and far-future dates', async () => {
			const sparse = sampleRecord({ name: null, note: null, scopes: [], metadata: {}, monthlyQuota: 0 })
			const extreme = sampleRecord({
				note: 'x'.repeat(4000),
				createdAt: new Date(0),
				expiresAt: new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999)),
				lastUsedAt: new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 1)),
				monthlyQuota: 2 ** 40 + 1,
			})
			await store.create(sparse)
			await store.create(extreme)
			expect(await store.findById(sparse.id)).toEqual(sparse)
			expect(await store.findByHash(extreme.hash)).toEqual(extreme)
		})

		it('answers null for unknown hashes and ids, and matches a hash exactly', async () => {
			expect(await store.findByHash('f'.repeat(64))).toBeNull()
			expect(await store.findById('nope00000000')).toBeNull()
			const record = sampleRecord({ hash: `ab${'c'.repeat(62)}` })
			await store.create(record)
			expect(await store.findByHash(`AB${'C'.repeat(62)}`)).toBeNull()
			expect(await store.findByHash(record.hash.slice(0, 63))).toBeNull()
			expect(await store.findByHash(`${record.hash} `)).toBeNull()
			expect(await store.findById(record.id.toUpperCase())).toBeNull()
		})

		it('rejects a duplicate hash or id with duplicate_key and keeps the first record', async () => {
			const first = sampleRecord()
			await store.create(first)
			const sameHash = sampleRecord({ hash: first.hash })
			await expect(store.create(sameHash)).rejects.toSatisfy(isDuplicate)
			const sameId = sampleRecord({ id: first.id })
			await expect(store.create(sameId)).rejects.toSatisfy(isDuplicate)
			expect(await store.findById(first.id)).toEqual(first)
			expect(await store.findById(sameHash.id)).toBeNull()
			expect(await store.findByHash(sameId.hash)).toBeNull()
			expect(await store.list({})).toEqual([first])
		})

		it('lets exactly one of many concurrent creates with the same hash win', async () => {
			const hash = sampleRecord().hash
			const records = Array.from({ length: 10 }, () => sampleRecord({ hash }))
			const outcomes = await Promise.allSettled(records.map((r) => store.create(r)))
			expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
			for (const o of outcomes) if (o.status === 'rejected') expect(isDuplicate(o.reason)).toBe(true)
			const winner = records[outcomes.findIndex((o) => o.status === 'fulfilled')]
			expect(await store.findByHash(hash)).toEqual(winner)
		})

		it('lists by owner, newest first, with complete records', async () => {
			const a = sampleRecord({ owner: 'a', createdAt: new Date(1_000), metadata: { n: 1 } })
			const b = sampleRecord({ owner: 'a', createdAt: new Date(3_000), scopes: [] })
			const c = sampleRecord({ owner: 'c', createdAt: new Date(2_000) })
			for (const r of [a, b, c]) await store.create(r)
			expect(await store.list({ owner: 'a' })).toEqual([b, a])
			expect((await store.list({})).map((r) => r.id)).toEqual([b.id, c.id, a.id])
			expect(await store.list({ owner: 'nobody' })).toEqual([])
			expect(await store.list({ owner: undefined })).toHaveLength(3)
		})

		it('matches owners literally (no wildcards, no case folding)', async () => {
			const owners = ['a_c', 'abc', 'a%', 'a%c', 'A_C', 'a_c ']
			for (const owner of owners) await store.create(sampleRecord({ owner }))
			for (const owner of owners) {
				expect((await store.list({ owner })).map((r) => r.owner)).toEqual([owner])
			}
		})

		it('updates only the given fields and answers null for unknown ids', async () => {
			const record = sampleRecord({ note: 'keep me', monthlyQuota: 10 })
			const other = sampleRecord()
			await store.create(record)
			await store.create(other)
			const revokedAt = new Date(Date.UTC(2026, 3, 4))
			const updated = await store.update(record.id, { revokedAt, scopes: ['a'], metadata: { x: { y: 1 } } })
			expect(updated).toEqual({ ...record, revokedAt, scopes: ['a'], metadata: { x: { y: 1 } } })
			expect(await store.findByHash(record.hash)).toEqual(updated)
			const cleared = await store.update(record.id, { note: null, monthlyQuota: null, expiresAt: null })
			expect(cleared?.note).toBeNull()
			expect(cleared?.monthlyQuota).toBeNull()
			expect(cleared?.name).toBe(record.name)
			expect(await store.update('unknown00000', { note: 'x' })).toBeNull()
			expect(await store.findById(other.id)).toEqual(other)
		})

		it('updates every patchable field at once, and an empty patch changes nothing', async () => {
			const record = sampleRecord()
			await store.create(record)
			const patch = {
				name: 'renamed ✓',
				note: 'a note',
				scopes: ['admin', 'read:*'],
				expiresAt: new Date(Date.UTC(2031, 0, 1)),
				revokedAt: new Date(Date.UTC(2026, 6, 7, 8, 9, 10, 11)),
				lastUsedAt: new Date(Date.UTC(2026, 6, 7)),
				monthlyQuota: 5,
				metadata: { tier: ['gold'] },
			}
			expect(await store.update(record.id, patch)).toEqual({ ...record, ...patch })
			expect(await store.update(record.id, {})).toEqual({ ...record, ...patch })
			expect(await store.update(record.id, { name: undefined })).toEqual({ ...record, ...patch })
			expect(await store.findById(record.id)).toEqual({ ...record, ...patch })
		})

		it('deletes once and forgets both the id and the hash', async () => {
			const record = sampleRecord()
			const other = sampleRecord()
			await store.create(record)
			await store.create(other)
			expect(await store.delete(record.id)).toBe(true)
			expect(await store.delete(record.id)).toBe(false)
			expect(await store.findById(record.id)).toBeNull()
			expect(await store.findByHash(record.hash)).toBeNull()
			expect(await store.update(record.id, { note: 'x' })).toBeNull()
			expect(await store.list({})).toEqual([other])
			// The hash is free again.
			const again = sampleRecord({ hash: record.hash })
			await store.create(again)
			expect(await store.findByHash(record.hash)).toEqual(again)
		})

		it('does not let callers change stored records through returned objects', async () => {
			const record = sampleRecord({ metadata: { a: 1 } })
			await store.create(record)
			const found = (await store.findById(record.id)) as unknown as {
				scopes: string[]
				metadata: Record<string, unknown>
			}
			found.scopes.push('admin')
			found.metadata.a = 2
			expect(await store.findById(record.id)).toEqual(record)
		})
	})
}
