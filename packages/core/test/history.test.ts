import { describe, expect, it } from 'vitest'
import { isKeywardError } from '../src/errors.js'
import type { KeywardEvents } from '../src/events.js'
import type { UsageHistoryRow } from '../src/history-types.js'
import { createKeyward } from '../src/keyward.js'
import { MemoryStore } from '../src/memory-store.js'
import type { KeywardOptions } from '../src/options.js'
import { runUsageHistoryConformance } from '../src/testing/usage-history-conformance.js'
import { clock, delegate } from './helpers.js'

const HOUR = 3_600_000
const DAY = 86_400_000

/** A keyward over a MemoryStore, a settable clock, and the `error` events it emits. */
function setup(options: KeywardOptions = {}, store = new MemoryStore()) {
	const time = clock()
	const keyward = createKeyward({ store, now: time.now, lastUsed: false, ...options })
	const errors: KeywardEvents['error'][] = []
	keyward.on('error', (event) => errors.push(event))
	return { keyward, store, time, errors }
}

/** Every stored row of `owner`, summed by key and outcome. */
async function stored(store: MemoryStore, owner: string): Promise<Record<string, number>> {
	const rows = await store.readUsage({ owner, from: new Date(0), to: new Date(Date.UTC(2100, 0)) })
	const sums: Record<string, number> = {}
	for (const row of rows)
		sums[`${row.keyId} ${row.outcome}`] = (sums[`${row.keyId} ${row.outcome}`] ?? 0) + row.count
	return sums
}

describe('MemoryStore', () => runUsageHistoryConformance(() => new MemoryStore()))

describe('usage history', () => {
	it('counts exactly the requests made: 1,000 requests across 3 keys and 2 outcomes', async () => {
		const { keyward, store, time } = setup()
		const keys = await Promise.all(
			['a', 'b', 'c'].map((name) => keyward.createKey({ owner: 'acme', name, scopes: ['read'] })),
		)
		const made: Record<string, number> = {}
		for (let i = 0; i < 1000; i++) {
			const { key, info } = keys[i % 3] as (typeof keys)[number]
			// Every seventh request asks for a scope the key lacks.
			const refused = i % 7 === 0
			const result = await keyward.verifyKey(key, { scopes: refused ? ['write'] : ['read'] })
			const outcome = result.ok ? 'ok' : result.code
			expect(outcome).toBe(refused ? 'insufficient_scope' : 'ok')
			made[`${info.id} ${outcome}`] = (made[`${info.id} ${outcome}`] ?? 0) + 1
			time.advance(1000)
		}
		// Before the flush, the answer includes this instance's counts not yet written.
		const before = await keyward.usageHistory({ owner: 'acme' })
		expect(before.total).toMatchObject({ requests: 1000, ok: 857, refused: 143 })
		expect(await stored(store, 'acme')).toEqual({})

		await keyward.flush()
		expect(await stored(store, 'acme')).toEqual(made)
		const owner = await keyward.usageHistory({ owner: 'acme' })
		expect(owner.total).toEqual({
			requests: 1000,
			ok: 857,
			refused: 143,
			outcomes: { ok: 857, insufficient_scope: 143 },
		})
		for (const { info } of keys) {
			const one = await keyward.usageHistory({ key: info.id, granularity: 'hour' })
			expect(one.total.ok).toBe(made[`${info.id} ok`])
			expect(one.total.outcomes.insufficient_scope).toBe(made[`${info.id} insufficient_scope`])
		}
		// Nothing was counted twice: a second flush writes nothing more.
		await keyward.flush()
		expect(await stored(store, 'acme')).toEqual(made)
		await keyward.close()
	})

	it('cuts buckets at UTC hour and day boundaries', async () => {
		const { keyward, store, time } = setup()
		const { key, info } = await keyward.createKey({ owner: 'acme' })
		const at = (iso: string) => {
			time.set(Date.parse(iso))
			return keyward.verifyKey(key)
		}
		await at('2026-11-15T22:59:59.999Z')
		await at('2026-11-15T23:00:00.000Z')
		await at('2026-11-15T23:59:59.999Z')
		await at('2026-11-16T00:00:00.000Z')
		await at('2026-11-16T00:00:00.001Z')
		await keyward.flush()
		const rows = await store.readUsage({ keyId: info.id, from: new Date(0), to: new Date(Date.UTC(2100, 0)) })
		expect(rows.map((r) => [r.bucket.toISOString(), r.count]).sort()).toEqual([
			['2026-11-15T22:00:00.000Z', 1],
			['2026-11-15T23:00:00.000Z', 2],
			['2026-11-16T00:00:00.000Z', 2],
		])
		const hours = await keyward.usageHistory({ key: info.id, granularity: 'hour' })
		expect(hours.from.toISOString()).toBe('2026-11-15T01:00:00.000Z')
		expect(hours.to.toISOString()).toBe('2026-11-16T01:00:00.000Z')
		expect(hours.buckets).toHaveLength(24)
		expect(hours.buckets.slice(-3).map((b) => [b.start.toISOString(), b.requests])).toEqual([
			['2026-11-15T22:00:00.000Z', 1],
			['2026-11-15T23:00:00.000Z', 2],
			['2026-11-16T00:00:00.000Z', 2],
		])
		const days = await keyward.usageHistory({ key: info.id, days: 2 })
		expect(days.buckets.map((b) => [b.start.toISOString(), b.requests])).toEqual([
			['2026-11-15T00:00:00.000Z', 3],
			['2026-11-16T00:00:00.000Z', 2],
		])
		// A range given in instants is widened to whole buckets.
		const explicit = await keyward.usageHistory({
			key: info.id,
			from: new Date('2026-11-15T23:30:00Z'),
			to: new Date('2026-11-16T00:00:00.001Z'),
			granularity: 'hour',
		})
		expect(explicit.buckets.map((b) => b.requests)).toEqual([2, 2])
		await keyward.close()
	})

	it('keeps what a failed flush could not write, merges it into the next, and serves requests throughout', async () => {
		const memory = new MemoryStore()
		let down = true
		const store = delegate(memory, {
			recordUsage: (rows: readonly UsageHistoryRow[]) =>
				down ? Promise.reject(new Error('connection refused')) : memory.recordUsage(rows),
		})
		const { keyward, time, errors } = setup({ store, usage: memory })
		const { key, info } = await keyward.createKey({ owner: 'acme' })
		for (let i = 0; i < 5; i++) expect((await keyward.verifyKey(key)).ok).toBe(true)
		await keyward.flush()
		expect(errors).toEqual([{ during: 'history', error: new Error('connection refused'), suppressed: 0 }])
		// Nothing is closed or lost: requests go on, and the history still answers with every count.
		expect((await keyward.verifyKey(key)).ok).toBe(true)
		expect((await keyward.usageHistory({ key: info.id })).total.requests).toBe(6)
		expect((await keyward.health()).history).toMatchObject({
			enabled: true,
			pending: 1,
			dropped: 0,
			lastError: 'connection refused',
		})
		time.advance(HOUR)
		expect((await keyward.verifyKey(key)).ok).toBe(true)
		down = false
		await keyward.flush()
		const rows = await memory.readUsage({
			keyId: info.id,
			from: new Date(0),
			to: new Date(Date.UTC(2100, 0)),
		})
		expect(rows.map((r) => r.count).sort()).toEqual([1, 6])
		expect((await keyward.health()).history).toEqual({
			enabled: true,
			pending: 0,
			dropped: 0,
			lastFlushAt: new Date(time.now()),
		})
		await keyward.close()
	})

	it('writes in batches: a batch that fails waits with the ones after it, the ones before stay written', async () => {
		const memory = new MemoryStore()
		let calls = 0
		const store = delegate(memory, {
			recordUsage: (rows: readonly UsageHistoryRow[]) =>
				++calls === 2 ? Promise.reject(new Error('timeout')) : memory.recordUsage(rows),
		})
		const { keyward, time } = setup({ store, usage: memory, history: { retentionDays: 3650 } })
		const { key, info } = await keyward.createKey({ owner: 'acme' })
		// 6,000 hours: 6,000 rows, two batches of at most 5,000.
		for (let i = 0; i < 6000; i++) {
			await keyward.verifyKey(key)
			time.advance(HOUR)
		}
		const all = { keyId: info.id, from: new Date(0), to: new Date(Date.UTC(2100, 0)) }
		await keyward.flush()
		expect(await memory.readUsage(all)).toHaveLength(5000)
		await keyward.flush()
		const rows = await memory.readUsage(all)
		expect(rows).toHaveLength(6000)
		expect(rows.every((r) => r.count === 1)).toBe(true)
		await keyward.close()
	})

	it('bounds what waits in memory: past maxPending, counts are dropped, counted and reported', async () => {
		const memory = new MemoryStore()
		const store = delegate(memory, { recordUsage: () => Promise.reject(new Error('read-only')) })
		const { keyward, errors, time } = setup({ store, usage: memory, history: { maxPending: 2 } })
		const keys = await Promise.all([1, 2, 3].map(() => keyward.createKey({ owner: 'acme' })))
		const third = (keys[2] as (typeof keys)[number]).key
		for (const { key } of keys) await keyward.verifyKey(key)
		await keyward.verifyKey(third)
		expect((await keyward.health()).history).toMatchObject({ pending: 2, dropped: 2 })
		const reported = () => errors.map((e) => [e.during, (e.error as Error).message, e.suppressed])
		await keyward.flush()
		const dropped = (n: number) =>
			`usage history dropped ${n} verification counts: 2 counters were waiting for the store (history.maxPending)`
		expect(reported()).toEqual([
			['history', 'read-only', 0],
			['history', dropped(2), 0],
		])
		// Within the interval nothing more is said; what happens meanwhile is counted.
		await keyward.verifyKey(third)
		await keyward.flush()
		expect(errors).toHaveLength(2)
		time.advance(60_000)
		await keyward.flush()
		expect(reported().slice(2)).toEqual([
			['history', 'read-only', 1],
			['history', dropped(1), 1],
		])
		expect((await keyward.health()).history).toMatchObject({ pending: 2, dropped: 3 })
		await keyward.close()
	})

	it('deletes hours past the retention while flushing', async () => {
		const { keyward, store, time } = setup({ history: { retentionDays: 2 } })
		const { key, info } = await keyward.createKey({ owner: 'acme' })
		await keyward.verifyKey(key)
		await keyward.flush()
		time.advance(3 * DAY)
		await keyward.verifyKey(key)
		await keyward.flush()
		const rows = await store.readUsage({ keyId: info.id, from: new Date(0), to: new Date(Date.UTC(2100, 0)) })
		expect(rows.map((r) => r.bucket.getTime())).toEqual([time.now() - (time.now() % HOUR)])
		await keyward.close()
	})

	it('counts refusals of identified keys (revoked, expired, over quota), never unidentified ones', async () => {
		const { keyward, time } = setup()
		const spent = await keyward.createKey({ owner: 'acme', monthlyQuota: 1 })
		const revoked = await keyward.createKey({ owner: 'acme' })
		const expiring = await keyward.createKey({ owner: 'acme', expiresIn: 1000 })
		await keyward.verifyKey(spent.key)
		await keyward.verifyKey(spent.key)
		await keyward.revokeKey(revoked.info.id)
		await keyward.verifyKey(revoked.key)
		time.advance(2000)
		await keyward.verifyKey(expiring.key)
		await keyward.verifyKey('kw_not_a_key')
		await keyward.verify({ headers: {}, url: '/' })
		const { total } = await keyward.usageHistory({ owner: 'acme' })
		expect(total).toEqual({
			requests: 4,
			ok: 1,
			refused: 3,
			outcomes: { ok: 1, quota_exceeded: 1, revoked: 1, expired: 1 },
		})
		await keyward.close()
	})

	it('with history: false records nothing, and still reads what the store keeps', async () => {
		const store = new MemoryStore()
		const { keyward } = setup({ history: false }, store)
		const { key, info } = await keyward.createKey({ owner: 'acme' })
		await keyward.verifyKey(key)
		await keyward.flush()
		await store.recordUsage([
			{ bucket: new Date(Date.UTC(2026, 10, 15, 9)), keyId: info.id, owner: 'acme', outcome: 'ok', count: 4 },
		])
		expect((await keyward.usageHistory({ key: info.id })).total.requests).toBe(4)
		expect((await keyward.health()).history.enabled).toBe(false)
	})

	it('writes to history.store when one is given', async () => {
		const history = new MemoryStore()
		const { keyward } = setup({ history: { store: history } })
		const { key, info } = await keyward.createKey({ owner: 'acme' })
		await keyward.verifyKey(key)
		await keyward.close()
		const range = { keyId: info.id, from: new Date(0), to: new Date(Date.UTC(2100, 0)) }
		expect((await history.readUsage(range)).map((r) => r.count)).toEqual([1])
	})

	it('refuses bad queries, and says so when the store keeps no history', async () => {
		const { keyward } = setup()
		const { key, info } = await keyward.createKey({ owner: 'acme' })
		const refusal = (query: object) =>
			keyward.usageHistory(query).then(
				() => 'answered',
				(error: unknown) => (isKeywardError(error) ? `${error.code}: ${error.message}` : String(error)),
			)
		expect(await refusal({})).toBe('invalid_argument: Give exactly one of key and owner')
		expect(await refusal({ key: info.id, owner: 'acme' })).toMatch(/^invalid_argument: Give exactly one/)
		// The key's text never goes to the store.
		expect(await refusal({ key })).toBe('invalid_argument: key must be a key id')
		expect(await refusal({ key: info.id, granularity: 'week' })).toMatch(/granularity/)
		expect(await refusal({ key: info.id, days: 0 })).toMatch(/days must be/)
		expect(await refusal({ key: info.id, days: 1001 })).toMatch(/at most 1000 buckets/)
		expect(await refusal({ key: info.id, from: new Date(), days: 2 })).toMatch(/from or days/)
		expect(await refusal({ key: info.id, from: new Date('nope') })).toMatch(/from must be a valid Date/)

		const { recordUsage, readUsage, pruneUsage, ...bare } = delegate(new MemoryStore()) as unknown as Record<
			string,
			unknown
		>
		expect([recordUsage, readUsage, pruneUsage].every((m) => typeof m === 'function')).toBe(true)
		const plain = createKeyward({ store: bare as never })
		const error = await plain.usageHistory({ owner: 'acme' }).catch((e: unknown) => e)
		expect(isKeywardError(error, 'not_supported')).toBe(true)
	})
})
