import type { Server } from 'node:http'
import { createKeyward, type KeyStore, type Keyward, type KeywardOptions, MemoryStore } from '@keyward/core'
import type { ConsumeResult, KeyRecord } from '@keyward/core/testing'
import { failingStore, forwardingStore } from '@keyward/core/testing'
import { beforeAll, describe, expect, it } from 'vitest'
import { expectRefusal, hangingStore, secret, send } from './adapter-harness.js'

/** An adapter's test app as the shared suites look at it. */
export interface AdapterApp {
	server: Server
	/** Requests that reached the handler behind authentication. */
	hits: readonly unknown[]
	/** Errors that reached the framework's error handling. */
	errors: readonly unknown[]
}

/**
 * Fault suite shared by the adapters: stores and usage counters that fail, hang or answer
 * garbage give 503 on every way of presenting a key, and nothing reaches the handler or the
 * error handler. `serveKeyward` serves `apiKeyAuth(keyward)` in front of a recording handler.
 * Call `useHarness()` in the test file too.
 */
export function describeAdapterFaults(serveKeyward: (keyward: Keyward) => Promise<AdapterApp>): void {
	const memory = new MemoryStore()
	let key: string
	let record: KeyRecord
	let otherRecord: KeyRecord

	beforeAll(async () => {
		const seeded = createKeyward({ store: memory })
		const created = await seeded.createKey({ owner: 'acme', scopes: ['read'] })
		key = secret(created.key)
		const other = await seeded.createKey({ owner: 'globex', scopes: ['*'] })
		secret(other.key)
		const records = await memory.list({})
		record = records.find((r) => r.id === created.info.id) as KeyRecord
		otherRecord = records.find((r) => r.id === other.info.id) as KeyRecord
	})

	/** The memory store with `findByHash` replaced. */
	function storeAnswering(findByHash: KeyStore['findByHash']): KeyStore {
		return forwardingStore(memory, { findByHash })
	}

	async function appWith(options: KeywardOptions): Promise<AdapterApp> {
		return serveKeyward(createKeyward({ cache: false, ...options }))
	}

	/** Every way of presenting the key is answered 503, and nothing reaches the handler or the error handler. */
	async function expectUnavailable(app: AdapterApp): Promise<void> {
		for (const [path, headers] of [
			['/', { 'x-api-key': key }],
			['/', { authorization: `Apikey ${key}` }],
			[`/?api_key=${key}`, {}],
		] as const) {
			expectRefusal(await send(app.server, path, headers), 'unavailable')
		}
		expect(app.hits).toHaveLength(0)
		expect(app.errors).toHaveLength(0)
	}

	describe('a failing key store gives 503 and lets nothing through', () => {
		it('a store that never answers, cut off by storeTimeoutMs', async () => {
			const app = await appWith({ store: hangingStore(), storeTimeoutMs: 50 })
			const started = performance.now()
			await expectUnavailable(app)
			expect(performance.now() - started).toBeLessThan(1500)
		})

		it('a store that rejects', async () => {
			await expectUnavailable(await appWith({ store: failingStore() }))
		})

		it('a store that throws synchronously, or rejects with a non-error', async () => {
			await expectUnavailable(
				await appWith({
					store: storeAnswering(() => {
						throw new Error('driver bug')
					}),
				}),
			)
			await expectUnavailable(
				await appWith({ store: storeAnswering(() => Promise.reject('socket hang up')) }),
			)
		})

		const garbage: Array<[string, () => unknown]> = [
			['an empty object', () => ({})],
			['a string', () => 'row'],
			['a number', () => 42],
			['an array', () => [record]],
			['true', () => true],
			['a row without its hash', () => ({ ...record, hash: undefined })],
			['a row with another hash', () => ({ ...record, hash: 'f'.repeat(64) })],
			['scopes as a string', () => ({ ...record, scopes: '*' })],
			['scopes holding a number', () => ({ ...record, scopes: [1] })],
			['createdAt as text', () => ({ ...record, createdAt: '2026-01-01' })],
			['revokedAt as text', () => ({ ...record, revokedAt: 'never' })],
			['expiresAt an invalid date', () => ({ ...record, expiresAt: new Date(Number.NaN) })],
			['metadata null', () => ({ ...record, metadata: null })],
			['a numeric id', () => ({ ...record, id: 7 })],
			['monthlyQuota as text', () => ({ ...record, monthlyQuota: '100' })],
		]
		for (const [name, row] of garbage) {
			it(`a store returning ${name}`, async () => {
				await expectUnavailable(await appWith({ store: storeAnswering(async () => row() as KeyRecord) }))
			})
		}

		it("a store returning another key's row for every hash", async () => {
			await expectUnavailable(await appWith({ store: storeAnswering(async () => otherRecord) }))
		})

		it('recovers once the store does: a failure is never cached', async () => {
			let down = true
			const store = storeAnswering((hash) =>
				down ? Promise.reject(new Error('down')) : memory.findByHash(hash),
			)
			const app = await serveKeyward(createKeyward({ store, usage: memory }))
			expectRefusal(await send(app.server, '/', { 'x-api-key': key }), 'unavailable')
			down = false
			expect((await send(app.server, '/', { 'x-api-key': key })).status).toBe(200)
			expect(app.hits).toHaveLength(1)
		})
	})

	describe('a failing usage counter gives 503 and lets nothing through', () => {
		let limited: string

		beforeAll(async () => {
			const seeded = createKeyward({ store: memory })
			limited = secret((await seeded.createKey({ owner: 'acme', monthlyQuota: 100 })).key)
		})

		const counters: Array<[string, () => Promise<unknown>]> = [
			['never answers', () => new Promise<never>(() => {})],
			['rejects', () => Promise.reject(new Error('redis down'))],
			['answers null', async () => null],
			['answers nothing', async () => undefined],
			['answers an empty object', async () => ({})],
			['answers allowed: "yes"', async () => ({ allowed: 'yes', used: 1 })],
			['answers a non-numeric count', async () => ({ allowed: true, used: 'one' })],
			['answers a negative count', async () => ({ allowed: true, used: -1 })],
		]
		for (const [name, consume] of counters) {
			it(`a counter that ${name}`, async () => {
				const usage = { consume: () => consume() as Promise<ConsumeResult> }
				const app = await appWith({ store: memory, usage, storeTimeoutMs: 50 })
				expectRefusal(await send(app.server, '/', { 'x-api-key': limited }), 'unavailable')
				expect(app.hits).toHaveLength(0)
				expect(app.errors).toHaveLength(0)
			})
		}
	})
}
