import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isKeywardError } from '../errors.js'
import type { KeyRecord, KeyStore, UsageCounter } from '../types.js'

let serial = 0

/** A complete record with unique id and hash; `overrides` replace fields. */
export function sampleRecord(overrides: Partial<KeyRecord> = {}): KeyRecord {
	serial++
	const tag = `${Date.now().toString(36)}${serial.toString(36)}`.padStart(12, '0').slice(-12)
	return {
		id: tag,
		hash: `${tag}${'0'.repeat(64)}`.slice(0, 64),
		owner: 'owner-1',
		name: 'CI deploy',
		note: null,
		scopes: ['read:*', 'write:users'],
		createdAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)),
		expiresAt: null,
		revokedAt: null,
		lastUsedAt: null,
		monthlyQuota: null,
		metadata: {},
		...overrides,
	}
}

/**
 * The behaviour every {@link KeyStore} must have. Call inside a vitest file:
 * `runKeyStoreConformance(() => new MyStore())`; the factory must return a fresh, empty store.
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

		it('round-trips every field (Dates, nulls, unicode, nested metadata)', async () => {
			const record = sampleRecord({
				owner: 'ÿnicode-ø-😀',
				name: 'O\'Brien "quoted" \\ name',
				note: 'line one\nline two',
				scopes: ['*', 'read:ümlaut'],
				expiresAt: new Date(Date.UTC(2030, 5, 6, 7, 8, 9, 123)),
				revokedAt: new Date(Date.UTC(2027, 1, 1)),
				lastUsedAt: new Date(Date.UTC(2026, 10, 23, 1, 2, 3, 4)),
				monthlyQuota: 1_000_000,
				metadata: { plan: 'pro', nested: { list: [1, 'two', null, { deep: true }], empty: {} }, emoji: '🔑' },
			})
			await store.create(record)
			expect(await store.findByHash(record.hash)).toEqual(record)
			expect(await store.findById(record.id)).toEqual(record)
			const found = await store.findById(record.id)
			expect(found?.createdAt).toBeInstanceOf(Date)
		})

		it('answers null for unknown hashes and ids', async () => {
			expect(await store.findByHash('f'.repeat(64))).toBeNull()
			expect(await store.findById('nope00000000')).toBeNull()
		})

		it('rejects a duplicate hash or id with duplicate_key and keeps the first record', async () => {
			const first = sampleRecord()
			await store.create(first)
			const sameHash = sampleRecord({ hash: first.hash })
			await expect(store.create(sameHash)).rejects.toSatisfy((e: unknown) =>
				isKeywardError(e, 'duplicate_key'),
			)
			const sameId = sampleRecord({ id: first.id })
			await expect(store.create(sameId)).rejects.toSatisfy((e: unknown) => isKeywardError(e, 'duplicate_key'))
			expect(await store.findById(first.id)).toEqual(first)
			expect(await store.findById(sameHash.id)).toBeNull()
		})

		it('lists by owner, newest first', async () => {
			const a = sampleRecord({ owner: 'a', createdAt: new Date(1_000) })
			const b = sampleRecord({ owner: 'a', createdAt: new Date(3_000) })
			const c = sampleRecord({ owner: 'c', createdAt: new Date(2_000) })
			for (const r of [a, b, c]) await store.create(r)
			expect((await store.list({ owner: 'a' })).map((r) => r.id)).toEqual([b.id, a.id])
			expect((await store.list({})).map((r) => r.id)).toEqual([b.id, c.id, a.id])
			expect(await store.list({ owner: 'nobody' })).toEqual([])
		})

		it('updates only the given fields and answers null for unknown ids', async () => {
			const record = sampleRecord({ note: 'keep me', monthlyQuota: 10 })
			await store.create(record)
			const revokedAt = new Date(Date.UTC(2026, 3, 4))
			const updated = await store.update(record.id, { revokedAt, scopes: ['a'], metadata: { x: { y: 1 } } })
			expect(updated).toEqual({ ...record, revokedAt, scopes: ['a'], metadata: { x: { y: 1 } } })
			expect(await store.findByHash(record.hash)).toEqual(updated)
			const cleared = await store.update(record.id, { note: null, monthlyQuota: null, expiresAt: null })
			expect(cleared?.note).toBeNull()
			expect(cleared?.monthlyQuota).toBeNull()
			expect(await store.update('unknown00000', { note: 'x' })).toBeNull()
		})

		it('deletes once and forgets both the id and the hash', async () => {
			const record = sampleRecord()
			await store.create(record)
			expect(await store.delete(record.id)).toBe(true)
			expect(await store.delete(record.id)).toBe(false)
			expect(await store.findById(record.id)).toBeNull()
			expect(await store.findByHash(record.hash)).toBeNull()
			expect(await store.list({})).toEqual([])
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

/** The behaviour every {@link UsageCounter} must have; the factory must return a fresh counter. */
export function runUsageCounterConformance(factory: () => UsageCounter | Promise<UsageCounter>): void {
	describe('UsageCounter conformance', () => {
		let counter: UsageCounter
		let id: string
		beforeEach(async () => {
			counter = await factory()
			id = sampleRecord().id
		})
		afterEach(async () => {
			await counter.close?.()
		})

		it('counts up to the limit and denies past it without changing anything', async () => {
			expect(await counter.consume(id, '2026-08', 1, 3)).toEqual({ allowed: true, used: 1 })
			expect(await counter.consume(id, '2026-08', 2, 3)).toEqual({ allowed: true, used: 3 })
			expect(await counter.consume(id, '2026-08', 1, 3)).toEqual({ allowed: false, used: 3 })
			expect(await counter.consume(id, '2026-08', 0, 3)).toEqual({ allowed: true, used: 3 })
		})

		it('denies a cost larger than what is left, and a zero limit denies everything', async () => {
			expect(await counter.consume(id, '2026-08', 2, 3)).toEqual({ allowed: true, used: 2 })
			expect(await counter.consume(id, '2026-08', 2, 3)).toEqual({ allowed: false, used: 2 })
			expect(await counter.consume(`${id}z`, '2026-08', 1, 0)).toEqual({ allowed: false, used: 0 })
		})

		it('keeps periods and keys apart (period rollover starts from zero)', async () => {
			await counter.consume(id, '2026-08', 2, 2)
			expect(await counter.consume(id, '2026-09', 1, 2)).toEqual({ allowed: true, used: 1 })
			expect(await counter.consume(`${id}x`, '2026-08', 1, 2)).toEqual({ allowed: true, used: 1 })
		})

		it('never exceeds the limit and never loses an increment under concurrency', async () => {
			const results = await Promise.all(
				Array.from({ length: 50 }, () => counter.consume(id, '2026-08', 1, 20)),
			)
			expect(results.filter((r) => r.allowed)).toHaveLength(20)
			expect(await counter.consume(id, '2026-08', 0, 20)).toEqual({ allowed: true, used: 20 })
			const other = `${id}c`
			const all = await Promise.all(
				Array.from({ length: 40 }, () => counter.consume(other, '2026-08', 1, 1000)),
			)
			expect(all.every((r) => r.allowed)).toBe(true)
			expect(new Set(all.map((r) => r.used)).size).toBe(40)
			expect(await counter.consume(other, '2026-08', 0, 1000)).toEqual({ allowed: true, used: 40 })
		})
	})
}
