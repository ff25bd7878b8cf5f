// Writes bench/RESULTS.md from the suites' latest JSON: machine, versions, targets, every row.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { benchDir, loadResult, machine, pgUrl, reachable, redisUrl } from './env.mjs'

const PACKAGES = [
	'@keyward/core',
	'express',
	'koa',
	'fastify',
	'hono',
	'@hono/node-server',
	'passport',
	'passport-headerapikey',
	'better-auth',
	'@better-auth/api-key',
	'pg',
	'redis',
	'@electric-sql/pglite',
	'autocannon',
	'tinybench',
]

async function packageVersion(name) {
	try {
		const json = JSON.parse(await readFile(join(benchDir, 'node_modules', name, 'package.json'), 'utf8'))
		return json.version
	} catch {
		return 'not installed'
	}
}

async function serverVersions() {
	const out = { postgres: 'not reachable', redis: 'not reachable' }
	if (await reachable(pgUrl, 5432)) {
		const { default: pg } = await import('pg')
		const client = new pg.Client({ connectionString: pgUrl })
		await client.connect()
		out.postgres = (await client.query('SHOW server_version')).rows[0].server_version
		await client.end()
	}
	if (await reachable(redisUrl, 6379)) {
		const { createClient } = await import('redis')
		const client = await createClient({ url: redisUrl }).connect()
		out.redis = /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? 'unknown'
		await client.close()
	}
	return out
}

const int = (n) => Math.round(n).toLocaleString('en')
const fixed = (n, digits = 1) => (n === undefined || Number.isNaN(n) ? 'n/a' : n.toFixed(digits))
const table = (head, rows) =>
	[
		`| ${head.join(' | ')} |`,
		`|${head.map(() => '---').join('|')}|`,
		...rows.map((r) => `| ${r.join(' | ')} |`),
	].join('\n')

/** `mean ± half` in µs, as the injection suite measured a difference. */
const interval = (d) => `${fixed(d.mean, 2)} ± ${fixed(d.half, 2)} µs`

/**
 * An injection target: keyward adds at most `maxUs` of CPU per request over the hand-written check.
 * Met only when the whole 95 % interval lies below it.
 */
function injectTarget(inject, framework, maxUs) {
	const d = inject?.frameworks?.[framework]?.keywardOverHandwritten
	return d && { measured: interval(d), met: d.mean + d.half <= maxUs }
}

/** One target: `check` gets the measurements and returns `{ measured, met }`, or undefined when not measured. */
function targets(http, micro, scale, inject) {
	const row = (name) => http?.rows?.[name]
	const op = (name) => micro?.results?.find((r) => r.name === name)
	const latency = (prefix) => scale.postgres?.latency?.find((r) => r.name.includes(prefix))
	const memory = scale.memory?.memory?.memoryStore
	/**
	 * What a variant of the cached verification costs: the micro suite's paired measurement (mean
	 * ± 95 % interval, met only when the whole interval is within `maxUs`), or, for results written
	 * before it existed, the difference of the two rows' medians.
	 */
	const costTarget = (costName, rowName, maxUs) => {
		const paired = micro?.costs?.find((c) => c.name === costName)
		if (paired !== undefined) {
			return {
				measured: `${fixed(paired.mean, 2)} ± ${fixed(paired.half, 2)} µs (paired)`,
				met: paired.mean + paired.half <= maxUs,
			}
		}
		const base = op('verifyKey, cached key with a quota (MemoryStore)')
		const variant = op(rowName)
		if (!base || !variant) return undefined
		const extraUs = variant.p50Us - base.p50Us
		return { measured: `${fixed(extraUs, 2)} µs (p50)`, met: extraUs <= maxUs }
	}
	const ratioTarget = (name, min) => {
		const r = row(name)
		return (
			r && {
				measured: `${fixed(r.ratio, 3)} (rounds ${fixed(r.ratioMin, 3)}–${fixed(r.ratioMax, 3)})`,
				met: r.ratio >= min,
			}
		)
	}
	return [
		['Express + keyward (MemoryStore, quota) ≥ 0.92 × bare Express', ratioTarget('express-keyward', 0.92)],
		[
			'…and added CPU ≤ hand-written SHA-256 + Map + 10 µs',
			row('express-keyward') &&
				row('express-handwritten') && {
					measured: `${fixed(row('express-keyward').addedCpuUs)} µs vs ${fixed(row('express-handwritten').addedCpuUs)} + 10 µs`,
					met: row('express-keyward').addedCpuUs <= row('express-handwritten').addedCpuUs + 10,
				},
		],
		['Koa + keyward ≥ 0.85 × bare Koa', ratioTarget('koa-keyward', 0.85)],
		[
			'Koa + keyward adds ≤ 1.5 µs CPU/request more than the hand-written check (without sockets, 95 % interval)',
			injectTarget(inject, 'koa', 1.5),
		],
		[
			'Express + keyward adds ≤ 2 µs CPU/request more than the hand-written check (without sockets, 95 % interval)',
			injectTarget(inject, 'express', 2),
		],
		['Fastify + keyward ≥ 0.85 × bare Fastify', ratioTarget('fastify-keyward', 0.85)],
		['Hono on Node + keyward ≥ 0.85 × bare Hono on Node', ratioTarget('hono-keyward', 0.85)],
		[
			'Express + keyward (PostgreSQL + Redis, exact) ≥ 0.80 × bare',
			ratioTarget('express-keyward-pg-redis', 0.8),
		],
		[
			'Express + keyward (PostgreSQL + Redis, batched) ≥ 0.90 × bare',
			ratioTarget('express-keyward-pg-redis-batched', 0.9),
		],
		[
			'Faster than passport-headerapikey',
			row('express-keyward') &&
				row('express-passport') && {
					measured: `${int(row('express-keyward').rps)} vs ${int(row('express-passport').rps)} req/s`,
					met: row('express-keyward').rps > row('express-passport').rps,
				},
		],
		[
			"≥ 3 × better-auth's API-key plugin",
			row('express-keyward') &&
				row('express-better-auth') && {
					measured: `${fixed(row('express-keyward').rps / row('express-better-auth').rps, 2)} ×`,
					met: row('express-keyward').rps >= 3 * row('express-better-auth').rps,
				},
		],
		[
			'verifyKey, cached key ≥ 350,000/s on one core',
			op('verifyKey, cached key with a quota (MemoryStore)') && {
				measured: `${int(op('verifyKey, cached key with a quota (MemoryStore)').opsPerSec)}/s`,
				met: op('verifyKey, cached key with a quota (MemoryStore)').opsPerSec >= 350_000,
			},
		],
		...[
			['owner record with scopes', 'verifyKey, cached key with a quota, owner record with scopes'],
			[
				'owner record with a shared quota',
				'verifyKey, cached key with a quota, owner record with a shared quota',
			],
		].map(([what, name]) => [
			`A cached key's ${what} costs ≤ 1 µs more per verification`,
			costTarget(what, name, 1),
		]),
		[
			'Usage history adds ≤ 0.5 µs to a cached verification',
			costTarget('usage history', 'verifyKey, cached key with a quota, history on', 0.5),
		],
		[
			'Malformed keys rejected ≥ 2,000,000/s',
			op('verifyKey, malformed key (checksum typo)') && {
				measured: `${int(op('verifyKey, malformed key (checksum typo)').opsPerSec)}/s`,
				met: op('verifyKey, malformed key (checksum typo)').opsPerSec >= 2_000_000,
			},
		],
		...[
			['cold', 'p99 of a cache miss on real PostgreSQL < 2 ms (1,000,000 rows, cold)'],
			['warm', 'p99 of a cache miss on real PostgreSQL < 2 ms (1,000,000 rows, warm)'],
		].map(([kind, label]) => {
			const r = latency(`cache miss, ${kind}`)
			return [label, r && { measured: `${fixed(r.p99Us / 1000, 2)} ms`, met: r.p99Us < 2000 }]
		}),
		[
			'≤ 1 KB of heap per cached key',
			memory && {
				measured: `${int(memory.cacheHeapBytesPerKey)} B`,
				met: memory.cacheHeapBytesPerKey <= 1024,
			},
		],
		[
			'1,000,000 keys in MemoryStore in < 1 GB (resident, default cache)',
			memory && { measured: `${int(memory.rssMiB)} MiB`, met: memory.rssMiB * 2 ** 20 < 1e9 },
		],
	]
}

/** The hand-written analysis that RESULTS.md carries below the injection tables, if present. */
async function whereTheTimeGoes() {
	try {
		return [(await readFile(join(benchDir, 'where-the-time-goes.md'), 'utf8')).trim(), '']
	} catch {
		return []
	}
}

/** Write RESULTS.md; resolves with the suites that had no result. */
export async function writeReport() {
	const [micro, http, memory, postgres, quota, inject] = await Promise.all(
		['micro', 'http', 'scale-memory', 'scale-postgres', 'scale-quota', 'inject'].map((name) =>
			loadResult(name),
		),
	)
	const scale = { memory, postgres, quota }
	const missing = Object.entries({
		micro,
		http,
		'scale memory': memory,
		'scale postgres': postgres,
		'scale quota': quota,
		inject,
	})
		.filter(([, value]) => value === undefined)
		.map(([name]) => name)
	const m = machine()
	const versions = await Promise.all(PACKAGES.map(async (name) => [name, await packageVersion(name)]))
	const servers = await serverVersions()
	const out = []
	out.push(
		'# Benchmark results',
		'',
		'Written by `pnpm bench` (see [README.md](README.md) for what each suite does and how to read it).',
		'Ratios compare a row with its bare framework measured in the same round; the median of the',
		'rounds is shown. Numbers from another machine or another run will differ; ratios travel better.',
		'',
		`- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}`,
		`- Pinning: ${http?.settings?.pinned ? 'servers on core 0, load generator on core 1 (taskset)' : 'none (taskset missing or one core)'}`,
		`- Servers: PostgreSQL ${servers.postgres}, Redis ${servers.redis}`,
		`- Packages: ${versions.map(([name, version]) => `${name} ${version}`).join(', ')}`,
		'',
		'## Targets',
		'',
		table(
			['target', 'measured', 'met'],
			targets(http, micro, scale, inject).map(([label, result]) =>
				result ? [label, result.measured, result.met ? 'yes' : '**no**'] : [label, 'not measured', '—'],
			),
		),
		'',
	)
	if (http !== undefined) {
		const s = http.settings
		out.push(
			'## HTTP',
			'',
			`${http.at}: ${s.rounds} rounds of ${s.durationS} s per row after ${s.warmupS} s of warm-up, ${s.connections} connections, GET / answering a small JSON body.`,
			'CPU is the server process\'s user + system time per completed request; "added" is that minus the bare server\'s in the same round.',
			'',
			table(
				['row', 'req/s', 'ratio to bare', 'rounds', 'CPU µs/req', 'added µs/req', 'latency p50 / p99 ms'],
				Object.values(http.rows).map((r) => [
					r.label,
					int(r.rps),
					fixed(r.ratio, 3),
					`${fixed(r.ratioMin, 3)}–${fixed(r.ratioMax, 3)}`,
					fixed(r.cpuPerReqUs),
					fixed(r.addedCpuUs),
					`${r.latencyP50} / ${r.latencyP99}`,
				]),
			),
			'',
		)
	}
	if (inject !== undefined) {
		const s = inject.settings
		const diff = (d) => `${interval(d)} (${d.perProcess.map((x) => fixed(x, 2)).join(' / ')})`
		out.push(
			'## Without sockets',
			'',
			`${inject.at}: each framework's complete app (the same as in the HTTP rows) called through Node's own request and response objects without a socket, in ${s.processes} processes per framework pinned to one core; each process runs ${s.blocks} rounds of ${s.requests} sequential requests per row, the rows interleaved round by round.`,
			'CPU is user + system time per request of a round; a difference is taken between the rounds of two rows run back to back and shown as its mean with the 95 % interval of that mean over all rounds, then the mean of each process on its own.',
			'',
			table(
				['framework', 'bare µs/req', 'hand-written − bare', 'keyward − bare', 'keyward − hand-written'],
				Object.entries(inject.frameworks).map(([framework, r]) => [
					framework,
					fixed(r.cpuUs[`${framework}-bare`].mean, 2),
					diff(r.handwrittenOverBare),
					diff(r.keywardOverBare),
					diff(r.keywardOverHandwritten),
				]),
			),
			'',
		)
		const breakdown = Object.values(inject.frameworks).flatMap((r) => Object.values(r.breakdown ?? {}))
		if (breakdown.length > 0) {
			out.push(
				'Taking keyward apart (each row against the hand-written check, in the same processes):',
				'',
				table(
					['row', 'row − hand-written'],
					breakdown.map((r) => [r.label, diff(r)]),
				),
				'',
			)
		}
		out.push(...(await whereTheTimeGoes()))
	}
	if (micro !== undefined) {
		out.push(
			'## verifyKey in process',
			'',
			`${micro.at}: tinybench, one core; throughput rows time batches of ${micro.batch} sequential calls, rows with batch 1 time single calls.`,
			'',
			table(
				['operation', 'per second', 'p50 µs', 'p99 µs', 'batch'],
				micro.results.map((r) => [r.name, int(r.opsPerSec), fixed(r.p50Us, 2), fixed(r.p99Us, 2), r.batch]),
			),
			'',
		)
	}
	const latencies = [memory, postgres].flatMap((s) => s?.latency ?? [])
	if (latencies.length > 0) {
		out.push(
			'## Scale',
			'',
			'Single sequential calls, timed one by one.',
			'',
			table(
				['case', 'p50 µs', 'p99 µs', 'calls'],
				latencies.map((r) => [r.name, fixed(r.p50Us), fixed(r.p99Us), int(r.calls)]),
			),
			'',
		)
	}
	const mem = memory?.memory?.memoryStore
	if (mem !== undefined) {
		out.push(
			`Memory with ${int(memory.keys)} keys in MemoryStore: ${int(mem.rssMiB)} MiB resident (${int(mem.heapUsedMiB)} MiB heap, of which ${int(mem.harnessKeyTextMiB)} MiB is the benchmark's own copy of the keys) with the default cache of 10,000 entries; ${int(mem.storeHeapBytesPerKey)} B of heap per stored key. Caching every key adds ${int(mem.cacheHeapBytesPerKey)} B of heap per cached key (${int(mem.fullCacheRssMiB)} MiB resident in all). Creating the keys took ${fixed(mem.createSeconds)} s.`,
			'',
		)
	}
	const pgMem = postgres?.memory?.postgres
	if (pgMem !== undefined) {
		out.push(
			`PostgreSQL: ${int(pgMem.rows)} rows loaded in ${fixed(pgMem.fillSeconds)} s; the verifying process stays at ${int(pgMem.rssMiB)} MiB resident.`,
			'',
		)
	}
	if (quota?.quota?.length > 0) {
		out.push(
			'### 10,000 distinct keys consuming quota at once',
			'',
			'Every key gets 5 requests, all started together. "tight": quota 3, so exactly 30,000 must pass; "ample": quota far away.',
			'',
			table(
				['counter', 'scenario', 'requests/s', 'allowed', 'exact', 'p50 / p99 ms'],
				quota.quota.map((r) => [
					r.name,
					r.scenario,
					int(r.perSecond),
					`${int(r.allowed)} of ${int(r.requests)}`,
					r.exact ? 'yes' : '**no**',
					`${fixed(r.p50Ms)} / ${fixed(r.p99Ms)}`,
				]),
			),
			'',
		)
	}
	const skipped = { ...micro?.skipped, ...http?.skipped, ...postgres?.skipped, ...quota?.skipped }
	if (Object.keys(skipped).length > 0 || missing.length > 0) {
		out.push('## Not measured', '')
		for (const [name, why] of Object.entries(skipped)) out.push(`- ${name}: ${why}`)
		for (const name of missing) out.push(`- ${name}: suite not run`)
		out.push('')
	}
	await writeFile(join(benchDir, 'RESULTS.md'), out.join('\n'))
	return { missing }
}
