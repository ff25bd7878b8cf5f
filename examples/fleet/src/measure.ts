import { writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { createClient } from 'redis'
import {
	type CounterMemory,
	postgresSizes,
	redisCounterMemory,
	type TableSize,
	type WarmRate,
	warmVerifications,
} from './capacity.js'
import type { FleetServices } from './fleet.js'
import { FLEET_PLAN } from './keys.js'
import { type FleetSummary, summarize, summaryTable } from './report.js'
import { runFleet } from './scenario.js'

// `pnpm --filter @keyward/example-fleet fleet`: run the fleet scenario with the services of
// scripts/services.sh (or those the environment names), measure capacity on its tables and
// counters, and write RESULTS.md and results.json next to this package's README.
const env = process.env
const services: FleetServices = {
	pooledUrl: env.KEYWARD_PGBOUNCER_URL ?? 'postgres://postgres@127.0.0.1:6432/test',
	directUrl: env.KEYWARD_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
	clusterNodes: (
		env.KEYWARD_REDIS_CLUSTER_NODES ?? 'redis://127.0.0.1:7001,redis://127.0.0.1:7002,redis://127.0.0.1:7003'
	).split(','),
}
const plan = { ...FLEET_PLAN, samples: Number(env.FLEET_SAMPLES ?? 100) }
const load = loadavg()[0] as number

async function versions(): Promise<{ node: string; postgres: string; pgbouncer: string; redis: string }> {
	const direct = new pg.Client({ connectionString: services.directUrl })
	await direct.connect()
	const postgres = ((await direct.query('SHOW server_version')).rows[0] as { server_version: string })
		.server_version
	await direct.end()
	const admin = new pg.Client({
		connectionString: services.pooledUrl.replace(/\/[^/?]*(\?|$)/, '/pgbouncer$1'),
	})
	await admin.connect()
	const pgbouncer = ((await admin.query('SHOW VERSION')).rows[0] as { version: string }).version.replace(
		/^PgBouncer /,
		'',
	)
	await admin.end()
	const node = await createClient({ url: services.clusterNodes[0] as string }).connect()
	const redis = /redis_version:(\S+)/.exec(await node.info('server'))?.[1] ?? '?'
	await node.close()
	return { node: process.version, postgres, pgbouncer, redis }
}

interface Capacity {
	tables: TableSize[]
	counters: CounterMemory
	warm: WarmRate[]
}

const { report, measured } = await runFleet<Capacity>(services, plan, {
	log: (line) => console.log(`fleet: ${line}`),
	async measure(fleet) {
		console.log('fleet: measuring tables, counters and warm verifications')
		const tables = await postgresSizes(services, fleet, plan.keys)
		const counters = await redisCounterMemory(services, `${fleet.prefix}memory:`, 10_000)
		const warm = await warmVerifications(services, fleet, 3000)
		return { tables, counters, warm }
	},
})
const summary: FleetSummary = summarize(report)
const capacity = measured as Capacity
const machine = {
	cpus: cpus().length,
	model: cpus()[0]?.model ?? '?',
	loadAverageAtStart: Math.round(load * 10) / 10,
	...(await versions()),
}

const table = (head: string[], rows: (string | number)[][]) =>
	[
		`| ${head.join(' | ')} |`,
		`|${head.map(() => '---').join('|')}|`,
		...rows.map((r) => `| ${r.join(' | ')} |`),
	].join('\n')
const n = (value: number) => value.toLocaleString('en')
const markdown = `# Fleet results

Written by \`pnpm --filter @keyward/example-fleet fleet\` (after \`scripts/services.sh start\` and
\`pnpm build\`) on ${new Date().toISOString()}. Machine: ${machine.cpus} × ${machine.model}, load
average ${machine.loadAverageAtStart} at the start (other jobs share this machine); Node ${machine.node},
PostgreSQL ${machine.postgres}, PgBouncer ${machine.pgbouncer}, Redis ${machine.redis} (3 masters).
The instances, the load generator, PostgreSQL, PgBouncer and the cluster all run on this machine.

## Fleet

${summaryTable(summary)}

## PostgreSQL, after ${n(plan.keys)} keys

${table(
	['table', 'rows', 'bytes (with indexes)', 'bytes per key'],
	capacity.tables.map((t) => [t.table, n(t.rows), n(t.bytes), n(t.bytesPerKey)]),
)}

## Redis, ${n(capacity.counters.counters)} counters

${table(
	['measure', 'bytes per counter'],
	[
		['MEMORY USAGE of a counter key', n(capacity.counters.memoryUsageBytes)],
		['growth of used_memory on the masters', n(capacity.counters.usedMemoryBytesPerCounter)],
	],
)}

## Cached verifications in one process

${table(
	['case', 'per second', 'calls'],
	capacity.warm.map((w) => [w.label, n(w.perSecond), n(w.calls)]),
)}
`
const here = (name: string) => fileURLToPath(new URL(`../${name}`, import.meta.url))
await writeFile(here('RESULTS.md'), markdown)
// Arrays of numbers on one line, as the formatter (Biome) writes them.
const json = JSON.stringify({ machine, summary, capacity }, null, '\t').replace(
	/\[\n\s*(-?[\d.]+(?:,\n\s*-?[\d.]+)*)\n\s*\]/g,
	(_, items: string) => `[${items.split(/,\s*/).join(', ')}]`,
)
await writeFile(here('results.json'), `${json}\n`)
console.log(markdown)
