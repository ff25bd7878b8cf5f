// Scale suite: 1,000,000 keys in MemoryStore and in PostgreSQL (latency and memory), and
// 10,000 distinct keys consuming quota at once. `node --expose-gc scale.mjs [memory|postgres|quota]`:
// run.mjs starts each section in a process of its own, so that one's heap never slows another.
import { createKeyward, MemoryStore } from '@keyward/core'
import {
	deleteRedisKeys,
	machine,
	percentile,
	pgUrl,
	reachable,
	redisUrl,
	saveResult,
	uniqueName,
} from './lib/env.mjs'

const KEYS = Number(process.env.BENCH_SCALE_KEYS ?? 1_000_000)
const SAMPLES = 20_000
const MiB = 2 ** 20
const SECTIONS = ['memory', 'postgres', 'quota']
const section = process.argv[2] ?? 'memory'
if (!SECTIONS.includes(section))
	throw new Error(`unknown section ${section}; sections: ${SECTIONS.join(', ')}`)
const out = { keys: KEYS, memory: {}, latency: [], quota: [], skipped: {} }

function settle() {
	globalThis.gc?.()
	globalThis.gc?.()
	return process.memoryUsage()
}

/** Per-call latency (µs) of `call(i)` for `count` sequential calls. */
async function latencies(count, call) {
	const times = new Float64Array(count)
	for (let i = 0; i < count; i++) {
		const started = performance.now()
		const result = await call(i)
		times[i] = (performance.now() - started) * 1000
		if (!result.ok) throw new Error(`verification failed: ${result.code}`)
	}
	return times
}

function record(name, times) {
	const row = { name, p50Us: percentile(times, 50), p99Us: percentile(times, 99), calls: times.length }
	out.latency.push(row)
	console.log(`${name}: p50 ${row.p50Us.toFixed(1)} µs, p99 ${row.p99Us.toFixed(1)} µs`)
}

/** Sample indexes spread over all keys, in random order. */
function sample(count, of) {
	return Array.from({ length: count }, () => Math.floor(Math.random() * of))
}

// --- 1,000,000 keys in MemoryStore ----------------------------------------------------
// First with keyward's default cache (10,000 entries): what a service holding a million keys
// uses. Then a second verifier over the same store caches every key, for the cost of a cache entry.
if (section === 'memory') {
	const before = settle()
	const store = new MemoryStore()
	const keyward = createKeyward({ store, lastUsed: false })
	const keys = new Array(KEYS)
	let started = performance.now()
	for (let i = 0; i < KEYS; i++) {
		keys[i] = (
			await keyward.createKey({ owner: `owner${i % 1000}`, scopes: ['read'], monthlyQuota: 1e9 })
		).key
	}
	const createSeconds = (performance.now() - started) / 1000
	const stored = settle()
	const picks = sample(SAMPLES, KEYS)
	record(
		`MemoryStore, ${KEYS.toLocaleString('en')} keys, default cache: random keys (mostly misses)`,
		await latencies(SAMPLES, (i) => keyward.verifyKey(keys[picks[i]])),
	)
	const steady = settle()
	const full = createKeyward({ store, cache: { max: KEYS }, lastUsed: false })
	// Verifying every key once fills the cache: each call is a miss served by the MemoryStore.
	started = performance.now()
	const missTimes = await latencies(KEYS, (i) => full.verifyKey(keys[i]))
	const fillSeconds = (performance.now() - started) / 1000
	const cached = settle()
	record(`MemoryStore, ${KEYS.toLocaleString('en')} keys: cache miss (first verification)`, missTimes)
	record(
		`MemoryStore, ${KEYS.toLocaleString('en')} keys, all cached: cached key`,
		await latencies(SAMPLES, (i) => full.verifyKey(keys[picks[i]])),
	)
	const keyText = KEYS * (keys[0].length + 16) // the harness's own copy of the key strings, roughly
	out.memory.memoryStore = {
		createSeconds,
		fillSeconds,
		storeHeapBytesPerKey: (stored.heapUsed - before.heapUsed - keyText) / KEYS,
		rssMiB: steady.rss / MiB,
		heapUsedMiB: steady.heapUsed / MiB,
		cacheHeapBytesPerKey: (cached.heapUsed - steady.heapUsed) / KEYS,
		fullCacheRssMiB: cached.rss / MiB,
		harnessKeyTextMiB: keyText / MiB,
	}
	console.log('memory', out.memory.memoryStore)
	await full.close()
	await keyward.close()
}

// --- 1,000,000 keys in PostgreSQL ------------------------------------------------------
if (section === 'postgres' && (await reachable(pgUrl, 5432))) {
	const { openPostgresStore } = await import('@keyward/postgres')
	const schema = uniqueName('kwbench_scale')
	const store = await openPostgresStore({ url: pgUrl, schema, queryTimeoutMs: 300_000 })
	const real = 2_000
	try {
		const t = store.tables
		const started = performance.now()
		// One statement fills the table: SHA-256 hashes like keyward's, of keys nobody holds.
		await store.client.query(
			`INSERT INTO ${t.keys} (id, family_id, hash, owner, name, note, scopes, created_at, monthly_quota, metadata)
			 SELECT 'f' || lpad(g::text, 11, '0'), 'f' || lpad(g::text, 11, '0'), encode(sha256(('filler-' || g)::bytea), 'hex'),
			        'owner' || (g % 1000), NULL, NULL, '{read}', now(), NULL, '{}'::jsonb
			 FROM generate_series(1, $1::int) AS g`,
			[KEYS - real],
		)
		await store.client.query(`VACUUM ANALYZE ${t.keys}`)
		const fillSeconds = (performance.now() - started) / 1000
		const keyward = createKeyward({ store, cache: { max: KEYS }, lastUsed: false })
		const keys = []
		for (let i = 0; i < real; i++)
			keys.push((await keyward.createKey({ owner: 'bench', scopes: ['read'] })).key)
		const { rows } = await store.client.query(`SELECT count(*)::int AS n FROM ${t.keys}`)
		const table = `PostgreSQL, ${rows[0].n.toLocaleString('en')} rows`
		// Start from a settled table, not the write-back of the bulk load (needs a superuser; skipped otherwise).
		await store.client.query('CHECKPOINT').catch(() => {})
		// Misses with keyward's cache off: the first pass reads each row for the first time since the
		// load; by the third, PostgreSQL's buffers hold them, as they hold a busy service's keys.
		const uncached = createKeyward({ store, cache: false, lastUsed: false })
		const cold = await latencies(real, (i) => uncached.verifyKey(keys[i]))
		await latencies(real, (i) => uncached.verifyKey(keys[i]))
		record(`${table}: cache miss, cold (first read of each row)`, cold)
		record(
			`${table}: cache miss, warm (rows in PostgreSQL's buffers)`,
			await latencies(real, (i) => uncached.verifyKey(keys[i])),
		)
		for (const key of keys) await keyward.verifyKey(key)
		const picks = sample(SAMPLES, real)
		record(`${table}: cached`, await latencies(SAMPLES, (i) => keyward.verifyKey(keys[picks[i]])))
		const after = settle()
		out.memory.postgres = {
			fillSeconds,
			rows: rows[0].n,
			rssMiB: after.rss / MiB,
		}
		console.log('postgres', out.memory.postgres)
		if (await reachable(redisUrl, 6379)) {
			const { connectRedis } = await import('@keyward/redis')
			const prefix = `${uniqueName('kwbench_scale')}:`
			const redis = await connectRedis({ url: redisUrl, prefix })
			const counted = createKeyward({ store, usage: redis.usage, cache: { max: KEYS }, lastUsed: false })
			const quotaKeys = []
			for (let i = 0; i < real; i++) {
				quotaKeys.push((await counted.createKey({ owner: 'bench', scopes: ['read'], monthlyQuota: 1e9 })).key)
			}
			record(
				`PostgreSQL, ${(rows[0].n + real).toLocaleString('en')} rows + Redis exact quota: cache miss`,
				await latencies(real, (i) => counted.verifyKey(quotaKeys[i])),
			)
			record(
				'PostgreSQL + Redis exact quota: cached record, quota counted in Redis',
				await latencies(SAMPLES, (i) => counted.verifyKey(quotaKeys[picks[i]])),
			)
			await redis.usage.close()
			const { createClient } = await import('redis')
			const cleaner = await createClient({ url: redisUrl }).connect()
			await deleteRedisKeys(cleaner, prefix)
			await cleaner.close()
			await redis.close()
		}
	} finally {
		await store.client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
		await store.close()
	}
} else if (section === 'postgres') {
	out.skipped.postgres = `PostgreSQL not reachable at ${pgUrl}`
}

// --- 10,000 distinct keys consuming quota at once ----------------------------------------
if (section === 'quota') {
	const DISTINCT = 10_000
	const QUOTA = 3
	const REQUESTS = 5
	const counters = [
		['MemoryStore (exact, in process)', async () => ({ usage: new MemoryStore(), close: async () => {} })],
	]
	if (await reachable(redisUrl, 6379)) {
		const { connectRedis } = await import('@keyward/redis')
		for (const batch of [false, true]) {
			counters.push([
				`Redis ${batch ? 'batched' : 'exact'}`,
				async () => {
					const prefix = `${uniqueName('kwbench_quota')}:`
					const redis = await connectRedis({ url: redisUrl, prefix, batch })
					return {
						usage: redis.usage,
						close: async () => {
							await redis.close()
							const { createClient } = await import('redis')
							const cleaner = await createClient({ url: redisUrl }).connect()
							await deleteRedisKeys(cleaner, prefix)
							await cleaner.close()
						},
					}
				},
			])
		}
	} else {
		out.skipped.redis = `Redis not reachable at ${redisUrl}`
	}
	// Tight: a quota of 3 and 5 requests per key, all at once; exactly 3 per key must pass.
	// Ample: a quota far away, the throughput of counting alone.
	const scenarios = [
		{ scenario: 'tight', quota: QUOTA },
		{ scenario: 'ample', quota: 1_000_000 },
	]
	for (const [name, open] of counters) {
		for (const { scenario, quota } of scenarios) {
			const { usage, close } = await open()
			const keyward = createKeyward({
				store: new MemoryStore(),
				usage,
				cache: { max: DISTINCT * 2 },
				lastUsed: false,
			})
			const keys = []
			for (let i = 0; i < DISTINCT; i++)
				keys.push((await keyward.createKey({ owner: 'bench', monthlyQuota: quota })).key)
			// Records cached first, so that only quota counting is measured.
			for (const key of keys) await keyward.verifyKey(key, { cost: 0 })
			const calls = []
			const times = new Float64Array(DISTINCT * REQUESTS)
			const started = performance.now()
			for (let r = 0; r < REQUESTS; r++) {
				for (let i = 0; i < DISTINCT; i++) {
					const at = performance.now()
					const slot = r * DISTINCT + i
					calls.push(
						keyward.verifyKey(keys[i]).then((result) => {
							times[slot] = (performance.now() - at) * 1000
							return result
						}),
					)
				}
			}
			const results = await Promise.all(calls)
			const seconds = (performance.now() - started) / 1000
			const allowed = results.filter((result) => result.ok).length
			const refused = results.filter((result) => !result.ok && result.code === 'quota_exceeded').length
			const expected = DISTINCT * Math.min(quota, REQUESTS)
			const row = {
				name,
				scenario,
				keys: DISTINCT,
				requests: results.length,
				quota,
				allowed,
				refused,
				exact: allowed === expected && refused === results.length - allowed,
				perSecond: results.length / seconds,
				p50Ms: percentile(times, 50) / 1000,
				p99Ms: percentile(times, 99) / 1000,
			}
			out.quota.push(row)
			console.log(
				`quota ${scenario}, ${name}: ${Math.round(row.perSecond)}/s, allowed ${allowed}/${expected}, p99 ${row.p99Ms.toFixed(0)} ms`,
			)
			await keyward.close()
			await close()
		}
	}
}

await saveResult(`scale-${section}`, { machine: machine(), ...out })
