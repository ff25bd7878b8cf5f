// Micro suite: keyward's verifier in-process, no HTTP. Run pinned to one core by run.mjs.
// Throughput tasks run BATCH sequential awaited calls per sample; latency tasks time single calls.
import { createKeyward, MemoryStore } from '@keyward/core'
import { generateKey } from '@keyward/core/testing'
import { Bench } from 'tinybench'
import { machine, pgUrl, reachable, saveResult, uniqueName } from './lib/env.mjs'
import { meanWithInterval } from './lib/stats.mjs'

const BATCH = 200
const timeMs = Number(process.env.BENCH_MICRO_MS ?? 1500)
const results = []
const skipped = {}

/** Measure `call` and record calls per second and per-call latency. */
async function measure(name, call, { batch = BATCH, ms = timeMs } = {}) {
	const bench = new Bench({ time: ms, warmupTime: Math.min(500, ms / 2), iterations: 20 })
	bench.add(name, async () => {
		for (let i = 0; i < batch; i++) await call()
	})
	await bench.run()
	const task = bench.tasks[0]
	if (task.result.state !== 'completed') throw task.result.error ?? new Error(`${name}: ${task.result.state}`)
	const { latency } = task.result
	const row = {
		name,
		opsPerSec: (batch * 1000) / latency.mean,
		// With batch 1 these are per-call latencies; with a batch, per-call averages of each sample.
		p50Us: (latency.p50 * 1000) / batch,
		p99Us: (latency.p99 * 1000) / batch,
		samples: latency.samples?.length ?? task.runs,
		batch,
	}
	results.push(row)
	console.log(
		`${name}: ${Math.round(row.opsPerSec).toLocaleString('en')} /s, p50 ${row.p50Us.toFixed(2)} µs, p99 ${row.p99Us.toFixed(2)} µs`,
	)
	return row
}

const costs = []

/**
 * What `variant` costs per call over `base`: the two run alternately in rounds of `calls` awaited
 * calls, and the difference of their CPU time per call is taken round by round, so that a slow
 * moment of the machine lands on both. Recorded as the mean with its 95 % interval: two tasks
 * measured one after the other differ by more than the costs compared here.
 */
async function costOver(name, base, variant, { rounds = 60, calls = 5000 } = {}) {
	async function perCall(call) {
		const before = process.cpuUsage()
		for (let i = 0; i < calls; i++) await call()
		const { user, system } = process.cpuUsage(before)
		return (user + system) / calls
	}
	for (let r = 0; r < 5; r++) {
		await perCall(base)
		await perCall(variant)
	}
	const differences = []
	for (let r = 0; r < rounds; r++) {
		const [first, second] = r % 2 === 0 ? [base, variant] : [variant, base]
		const a = await perCall(first)
		const b = await perCall(second)
		differences.push(first === base ? b - a : a - b)
	}
	const cost = { name, ...meanWithInterval(differences) }
	costs.push(cost)
	console.log(
		`${name}: ${cost.mean >= 0 ? '+' : ''}${cost.mean.toFixed(2)} ± ${cost.half.toFixed(2)} µs per call`,
	)
}

/** A typo: the last checksum character changed, so the format check refuses it without a lookup. */
function mistype(key) {
	return key.slice(0, -1) + (key.endsWith('a') ? 'b' : 'a')
}

async function assertOk(keyward, key, expected) {
	const result = await keyward.verifyKey(key)
	const code = result.ok ? 'ok' : result.code
	if (code !== expected) throw new Error(`expected ${expected}, got ${code}`)
}

// --- MemoryStore ---------------------------------------------------------------
// Usage history is off here, so these rows stay comparable with earlier runs; the row after them
// turns it on (the default) for the same key shape.
{
	const keyward = createKeyward({ store: new MemoryStore(), history: false })
	const { key: quotaKey } = await keyward.createKey({ owner: 'bench', monthlyQuota: 1e12 })
	const { key: plainKey } = await keyward.createKey({ owner: 'bench' })
	await assertOk(keyward, quotaKey, 'ok')
	await measure('verifyKey, cached key with a quota (MemoryStore)', () => keyward.verifyKey(quotaKey))
	{
		const recording = createKeyward({ store: new MemoryStore() })
		const { key } = await recording.createKey({ owner: 'bench', monthlyQuota: 1e12 })
		await assertOk(recording, key, 'ok')
		await measure('verifyKey, cached key with a quota, history on', () => recording.verifyKey(key))
		await costOver(
			'usage history',
			() => keyward.verifyKey(quotaKey),
			() => recording.verifyKey(key),
		)
		await recording.close()
	}
	await measure('verifyKey, cached key without a quota', () => keyward.verifyKey(plainKey))
	// The same key shape under an account: a record with scopes, then one with a shared quota too.
	await keyward.setOwner('scoped', { scopes: ['read:*', 'write:*'] })
	const { key: scopedKey } = await keyward.createKey({
		owner: 'scoped',
		scopes: ['read:*'],
		monthlyQuota: 1e12,
	})
	await assertOk(keyward, scopedKey, 'ok')
	await measure('verifyKey, cached key with a quota, owner record with scopes', () =>
		keyward.verifyKey(scopedKey),
	)
	await costOver(
		'owner record with scopes',
		() => keyward.verifyKey(quotaKey),
		() => keyward.verifyKey(scopedKey),
	)
	await keyward.setOwner('shared', { scopes: ['read:*'], monthlyQuota: 1e12 })
	const { key: sharedKey } = await keyward.createKey({
		owner: 'shared',
		scopes: 'inherit',
		monthlyQuota: 1e12,
	})
	await assertOk(keyward, sharedKey, 'ok')
	await measure('verifyKey, cached key with a quota, owner record with a shared quota', () =>
		keyward.verifyKey(sharedKey),
	)
	await costOver(
		'owner record with a shared quota',
		() => keyward.verifyKey(quotaKey),
		() => keyward.verifyKey(sharedKey),
	)
	const req = { headers: { 'x-api-key': quotaKey, host: '127.0.0.1' }, url: '/v1/items?page=2' }
	await measure('verify(request), header x-api-key, cached key with a quota', () => keyward.verify(req))
	const typo = mistype(quotaKey)
	await assertOk(keyward, typo, 'malformed')
	await measure('verifyKey, malformed key (checksum typo)', () => keyward.verifyKey(typo))
	await measure('verifyKey, garbage (wrong length)', () => keyward.verifyKey('not-a-key'))
	const unknown = generateKey('kw')
	await assertOk(keyward, unknown, 'invalid')
	await measure('verifyKey, unknown key (negatively cached)', () => keyward.verifyKey(unknown))
	// Fresh well-formed keys every call (anyone can compute the checksum): each one is a store lookup.
	const fresh = Array.from({ length: 50_000 }, () => generateKey('kw'))
	let next = 0
	await measure('verifyKey, unknown key, new each call (MemoryStore lookup)', () =>
		keyward.verifyKey(fresh[next++ % fresh.length]),
	)
	await keyward.close()
}
{
	const keyward = createKeyward({ store: new MemoryStore(), cache: false })
	const { key } = await keyward.createKey({ owner: 'bench', monthlyQuota: 1e12 })
	await assertOk(keyward, key, 'ok')
	await measure('verifyKey, cache miss (MemoryStore, cache off)', () => keyward.verifyKey(key))
	await keyward.close()
}

// --- PostgreSQL (PGlite embedded, then a real server) --------------------------------
const { openPostgresStore } = await import('@keyward/postgres')
{
	const store = await openPostgresStore({ dataDir: 'memory://' })
	const keyward = createKeyward({ store, cache: false })
	const { key } = await keyward.createKey({ owner: 'bench', monthlyQuota: 1e12 })
	await assertOk(keyward, key, 'ok')
	await measure('verifyKey, cache miss (PGlite in-process)', () => keyward.verifyKey(key), { batch: 1 })
	await keyward.close()
}
if (await reachable(pgUrl, 5432)) {
	const schema = uniqueName('kwbench_micro')
	const store = await openPostgresStore({ url: pgUrl, schema })
	const keyward = createKeyward({ store, cache: false })
	try {
		const { key } = await keyward.createKey({ owner: 'bench', monthlyQuota: 1e12 })
		const { key: plain } = await keyward.createKey({ owner: 'bench' })
		await assertOk(keyward, key, 'ok')
		await measure(
			'verifyKey, cache miss (PostgreSQL, quota counted in PostgreSQL)',
			() => keyward.verifyKey(key),
			{
				batch: 1,
			},
		)
		await measure(
			'verifyKey, cache miss (PostgreSQL, no quota: one lookup)',
			() => keyward.verifyKey(plain),
			{
				batch: 1,
			},
		)
	} finally {
		await store.client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
		await keyward.close()
	}
} else {
	skipped.postgres = `PostgreSQL not reachable at ${pgUrl}`
	console.warn(`! skipping PostgreSQL: ${skipped.postgres}`)
}

await saveResult('micro', { machine: machine(), timeMs, batch: BATCH, results, costs, skipped })
