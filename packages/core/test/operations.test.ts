import { describe, expect, it } from 'vitest'
import { isKeywardError } from '../src/errors.js'
import type { KeywardEvents } from '../src/events.js'
import { createKeyward } from '../src/keyward.js'
import { MemoryStore } from '../src/memory-store.js'
import { failingStore } from '../src/testing/stores.js'
import type { InvalidationChannel } from '../src/types.js'
import { clock, delegate } from './helpers.js'

/** The message of `createKeyward(options)`'s `invalid_option` error. */
function refusal(options: object): string {
	try {
		createKeyward(options as never)
	} catch (error) {
		if (isKeywardError(error, 'invalid_option')) return error.message
		throw error
	}
	throw new Error('createKeyward accepted the options')
}

describe('stores checked at start-up', () => {
	it('refuses a store that is not a KeyStore, naming the missing methods', () => {
		expect(refusal({ store: {} })).toBe(
			'store is missing KeyStore methods: create, findByHash, findById, findByIdPrefix, findByHint, list, update, revoke, revokeAll, rotate, delete, purgeInactive, getOwner, setOwner, listOwners, createSession, findSessionByHash, deleteSession',
		)
		const { listOwners, ...partial } = delegate(new MemoryStore()) as unknown as Record<string, unknown>
		expect(typeof listOwners).toBe('function')
		expect(refusal({ store: partial })).toBe('store is missing KeyStore method: listOwners')
		expect(refusal({ store: 'postgres://localhost/db' })).toMatch(
			/^store must be a KeyStore \(an object with create,/,
		)
	})

	it('recognises a database or Redis client passed as a store, and says what to do', () => {
		// The shape of a pg Pool (and of PGlite): query, connect, end.
		const pool = { query: async () => ({ rows: [] }), connect: async () => ({}), end: async () => {} }
		expect(refusal({ store: pool })).toMatch(
			/deleteSession \(it looks like a database client: wrap it in new PostgresStore\(\{ client \}\) from @keyward\/postgres\)$/,
		)
		expect(refusal({ store: { sendCommand: async () => 'OK' } })).toMatch(/looks like a Redis client/)
	})

	it('refuses a counter without consume, a channel without publish, half a history store', () => {
		expect(refusal({ usage: {} })).toBe('usage is missing UsageCounter method: consume')
		expect(refusal({ invalidation: { subscribe() {} } })).toBe(
			'invalidation is missing InvalidationChannel method: publish',
		)
		const memory = new MemoryStore()
		const half = { ...delegate(memory), recordUsage: memory.recordUsage.bind(memory) }
		delete (half as Record<string, unknown>).readUsage
		delete (half as Record<string, unknown>).pruneUsage
		expect(refusal({ store: half })).toBe(
			'store is missing UsageHistoryStore methods: readUsage, pruneUsage (give all three or none)',
		)
		expect(refusal({ history: { store: {} } })).toMatch(
			/^history.store is missing UsageHistoryStore methods: recordUsage/,
		)
		expect(refusal({ meter: {} })).toMatch(/^meter must be an OpenTelemetry Meter/)
		expect(refusal({ history: { flushIntervalMs: 0 } })).toMatch(/history.flushIntervalMs must be a positive/)
		expect(refusal({ history: { flushIntervalMS: 10 } })).toMatch(/did you mean "flushIntervalMs"/)
	})

	it('accepts the stores of the testing helpers and a class with its methods on the prototype', () => {
		expect(() => createKeyward({ store: failingStore() })).not.toThrow()
		expect(() => createKeyward({ store: delegate(new MemoryStore()) })).not.toThrow()
		class Counting extends MemoryStore {}
		expect(() => createKeyward({ store: new Counting(), usage: new Counting() })).not.toThrow()
	})
})

describe('failures on the request path', () => {
	it('reports a store outage through the error event with its cause, at most once per interval', async () => {
		const time = clock()
		const memory = new MemoryStore()
		let down = false
		const store = delegate(memory, {
			findByHash: (hash) =>
				down ? Promise.reject(new Error('connect ECONNREFUSED 10.0.0.5:5432')) : memory.findByHash(hash),
		})
		const keyward = createKeyward({
			store,
			usage: memory,
			cache: false,
			now: time.now,
			errorIntervalMs: 10_000,
		})
		const errors: KeywardEvents['error'][] = []
		const rejected: KeywardEvents['request.rejected'][] = []
		keyward.on('error', (event) => errors.push(event))
		keyward.on('request.rejected', (event) => rejected.push(event))
		const { key } = await keyward.createKey({ owner: 'acme' })
		expect((await keyward.verifyKey(key)).ok).toBe(true)
		down = true
		for (let i = 0; i < 5; i++) {
			expect(await keyward.verifyKey(key)).toMatchObject({ status: 503, code: 'unavailable' })
			time.advance(1000)
		}
		expect(errors).toEqual([
			{ during: 'verify', error: new Error('connect ECONNREFUSED 10.0.0.5:5432'), suppressed: 0 },
		])
		// Every refusal names its cause; the refusal itself is the same as ever.
		expect(rejected).toHaveLength(5)
		for (const event of rejected) {
			expect(event).toMatchObject({ code: 'unavailable', status: 503, keyId: null })
			expect((event.cause as Error).message).toBe('connect ECONNREFUSED 10.0.0.5:5432')
		}
		time.advance(5000)
		await keyward.verifyKey(key)
		expect(errors).toHaveLength(2)
		expect(errors[1]).toMatchObject({ during: 'verify', suppressed: 4 })
		down = false
		expect((await keyward.verifyKey(key)).ok).toBe(true)
		expect(errors).toHaveLength(2)
	})

	it('names a counter that fails, hangs or answers garbage, with the key it was counting', async () => {
		const time = clock()
		const memory = new MemoryStore()
		const answers: Array<() => unknown> = [
			() => Promise.reject(new Error('READONLY You can not write against a read only replica')),
			() => ({ allowed: 'yes' }),
			() => {
				throw new Error('counter closed')
			},
		]
		let next = 0
		const usage = { consume: () => (answers[next++] as () => never)() }
		const keyward = createKeyward({ store: memory, usage, now: time.now, errorIntervalMs: 0 })
		const errors: unknown[] = []
		const causes: unknown[] = []
		keyward.on('error', (event) => errors.push(event.error))
		keyward.on('request.rejected', (event) => causes.push(event.cause))
		const { key, info } = await keyward.createKey({ owner: 'acme', monthlyQuota: 10 })
		for (let i = 0; i < answers.length; i++)
			expect(await keyward.verifyKey(key)).toMatchObject({ code: 'unavailable', keyId: info.id })
		expect(causes.map((c) => (c as Error).message)).toEqual([
			'READONLY You can not write against a read only replica',
			'the usage counter answered with object, not { allowed, used }',
			'counter closed',
		])
		expect(errors).toEqual(causes)
		await keyward.close()
	})

	it('reports failed lastUsedAt writes at most once per interval too', async () => {
		const time = clock()
		const memory = new MemoryStore()
		const store = delegate(memory, { update: () => Promise.reject(new Error('disk full')) })
		const keyward = createKeyward({ store, usage: memory, now: time.now, errorIntervalMs: 10_000 })
		const errors: KeywardEvents['error'][] = []
		keyward.on('error', (event) => errors.push(event))
		const keys = await Promise.all([1, 2, 3].map(() => keyward.createKey({ owner: 'acme' })))
		for (const { key } of keys) expect((await keyward.verifyKey(key)).ok).toBe(true)
		await keyward.flush()
		expect(errors).toEqual([{ during: 'last_used', error: new Error('disk full'), suppressed: 0 }])
		time.advance(10_000)
		await keyward.verifyKey((keys[0] as (typeof keys)[number]).key)
		await keyward.flush()
		expect(errors.slice(1)).toEqual([{ during: 'last_used', error: new Error('disk full'), suppressed: 2 }])
		await keyward.close()
	})

	it('keeps the fixed message of management errors, with the cause in err.cause', async () => {
		const keyward = createKeyward({ store: failingStore() })
		const error = await keyward.createKey({ owner: 'acme' }).catch((e: unknown) => e)
		expect(isKeywardError(error, 'store_unavailable')).toBe(true)
		expect((error as Error).message).toBe('Key store unavailable')
		expect(((error as Error).cause as Error).message).toBe('connection refused')
	})
})

describe('health()', () => {
	it('answers ok for working stores, with latencies and the state of usage history', async () => {
		const time = clock()
		const keyward = createKeyward({ now: time.now })
		const report = await keyward.health()
		expect(report).toMatchObject({
			ok: true,
			store: { ok: true },
			usage: { ok: true },
			invalidation: { ok: true, configured: false },
			history: { enabled: true, pending: 0, dropped: 0, lastFlushAt: null },
			checkedAt: new Date(time.now()),
		})
		expect(report.store.latencyMs).toBeGreaterThanOrEqual(0)
		expect(report.store.error).toBeUndefined()
	})

	it('says which part fails and why, within the timeout, and never throws', async () => {
		const down = createKeyward({ store: failingStore() })
		expect(await down.health()).toMatchObject({
			ok: false,
			store: { ok: false, error: 'connection refused' },
			usage: { ok: false, error: 'connection refused' },
		})
		const memory = new MemoryStore()
		const hanging = createKeyward({
			store: delegate(memory, { findByHash: () => new Promise(() => {}) }),
			usage: memory,
		})
		const report = await hanging.health({ timeoutMs: 20 })
		expect(report).toMatchObject({
			ok: false,
			store: { ok: false, error: 'no answer within 20 ms' },
			usage: { ok: true },
		})
		await expect(hanging.health({ timeoutMs: 0 })).rejects.toThrow(/timeoutMs must be a positive number/)
	})

	it('reports an invalidation channel that could not subscribe', async () => {
		const channel: InvalidationChannel = {
			publish: async () => {},
			subscribe: () => Promise.reject(new Error('NOAUTH Authentication required')),
		}
		const keyward = createKeyward({ invalidation: channel })
		keyward.on('error', () => {})
		await new Promise((resolve) => setImmediate(resolve))
		expect((await keyward.health()).invalidation).toEqual({
			ok: false,
			configured: true,
			error: 'NOAUTH Authentication required',
		})
	})
})
