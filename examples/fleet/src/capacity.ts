import { createKeyward } from '@keyward/core'
import { connectRedis, RedisUsageCounter } from '@keyward/redis'
import pg from 'pg'
import { createCluster } from 'redis'
import { deleteCounters, type Fleet, type FleetServices } from './fleet.js'
import { inParallel } from './keys.js'

/** Size of one table with its indexes and TOAST, and what that is per key. */
export interface TableSize {
	readonly table: string
	readonly rows: number
	readonly bytes: number
	readonly bytesPerKey: number
}

/** `pg_total_relation_size` of every keyward table of the fleet's schema, after `keys` keys. */
export async function postgresSizes(
	services: FleetServices,
	fleet: Fleet,
	keys: number,
): Promise<TableSize[]> {
	const direct = new pg.Pool({ connectionString: services.directUrl, max: 1 })
	try {
		// Statistics and the visibility map as a settled table would have them.
		for (const table of ['keys', 'owners', 'audit', 'usage'])
			await direct.query(`VACUUM ANALYZE "${fleet.schema}"."keyward_${table}"`)
		const { rows } = await direct.query(
			`SELECT c.relname AS table, pg_total_relation_size(c.oid)::bigint AS bytes
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY c.relname`,
			[fleet.schema],
		)
		const sizes: TableSize[] = []
		for (const r of rows as { table: string; bytes: string }[]) {
			const counted = await direct.query(`SELECT count(*)::int AS n FROM "${fleet.schema}"."${r.table}"`)
			const bytes = Number(r.bytes)
			sizes.push({
				table: r.table,
				rows: (counted.rows[0] as { n: number }).n,
				bytes,
				bytesPerKey: Math.round(bytes / keys),
			})
		}
		return sizes
	} finally {
		await direct.end()
	}
}

/** Memory of quota counters in Redis. */
export interface CounterMemory {
	/** Counters created for the measure. */
	readonly counters: number
	/** Mean `MEMORY USAGE` of one counter key. */
	readonly memoryUsageBytes: number
	/** Growth of `used_memory`, summed over the masters, per counter created. */
	readonly usedMemoryBytesPerCounter: number
}

async function usedMemory(cluster: ReturnType<typeof createCluster>): Promise<number> {
	let total = 0
	for (const master of cluster.masters) {
		const info = await (await cluster.nodeClient(master)).info('memory')
		total += Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0)
	}
	return total
}

/**
 * Create `count` counters the way a fleet does (one per key and period, named after the owner;
 * 10 keys per owner) under a prefix of their own, and measure them: `MEMORY USAGE` of each, and
 * the growth of `used_memory` on the masters. The counters are deleted afterwards.
 */
export async function redisCounterMemory(
	services: FleetServices,
	prefix: string,
	count: number,
): Promise<CounterMemory> {
	const cluster = createCluster({ rootNodes: services.clusterNodes.map((url) => ({ url })) })
	cluster.on('error', () => {})
	await cluster.connect()
	const client = { sendCommand: (args: string[]) => cluster.sendCommand(args[3], false, args) }
	const counter = new RedisUsageCounter({ client, prefix, cluster: true })
	try {
		const before = await usedMemory(cluster)
		await inParallel(count, 64, async (i) => {
			await counter.consume(
				`key${String(i).padStart(8, '0')}`,
				'2026-11',
				1,
				1_000_000,
				`owner-${i % (count / 10)}`,
			)
		})
		const after = await usedMemory(cluster)
		let sampled = 0
		let bytes = 0
		for (let i = 0; i < count; i += Math.max(1, Math.floor(count / 1000))) {
			const name = counter.keyFor(`key${String(i).padStart(8, '0')}`, '2026-11', `owner-${i % (count / 10)}`)
			bytes += Number(await cluster.sendCommand(name, true, ['MEMORY', 'USAGE', name]))
			sampled++
		}
		return {
			counters: count,
			memoryUsageBytes: Math.round(bytes / sampled),
			usedMemoryBytesPerCounter: Math.round((after - before) / count),
		}
	} finally {
		await cluster.close()
		await deleteCounters(services.clusterNodes, prefix)
	}
}

/** Verifications per second of one process (one core) on cached keys. */
export interface WarmRate {
	readonly label: string
	readonly perSecond: number
	readonly calls: number
}

/**
 * `verifyKey` on cached keys in this process, on the fleet's records and cluster: back to back on
 * 1,000 keys with a quota for `ms` milliseconds, counted in batches (mostly without a round
 * trip: CPU-bound, one core), and counted exactly (a round trip to the cluster each, 64 at once).
 */
export async function warmVerifications(
	services: FleetServices,
	fleet: Fleet,
	ms: number,
): Promise<WarmRate[]> {
	const made = await Promise.all(
		Array.from({ length: 1000 }, (_, i) =>
			fleet.keyward.createKey({ owner: `warm-${i % 100}`, monthlyQuota: 1_000_000_000 }),
		),
	)
	const keys = made.map((m) => m.key)
	const rates: WarmRate[] = []
	for (const batch of [true, false]) {
		const redis = await connectRedis({ cluster: services.clusterNodes, prefix: fleet.prefix, batch })
		const keyward = createKeyward({ store: fleet.store, usage: redis.usage, cache: { max: 50_000 } })
		try {
			for (const key of keys)
				if (!(await keyward.verifyKey(key)).ok) throw new Error('a warm key was refused')
			let calls = 0
			const started = performance.now()
			const run = async () => {
				while (performance.now() - started < ms) {
					const result = await keyward.verifyKey(keys[calls++ % keys.length] as string)
					if (!result.ok) throw new Error(`refused: ${result.code}`)
				}
			}
			await Promise.all(Array.from({ length: batch ? 1 : 64 }, run))
			const elapsed = performance.now() - started
			const label = batch
				? 'verifyKey, cached key with a quota, batched counting on the cluster (sequential)'
				: 'verifyKey, cached key with a quota, exact counting on the cluster (64 at once)'
			rates.push({ label, calls, perSecond: Math.round((calls / elapsed) * 1000) })
		} finally {
			await redis.usage.close()
			await redis.close()
		}
	}
	return rates
}
