import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createKeyward, type Keyward } from '@keyward/core'
import { openPostgresStore, type PostgresStore } from '@keyward/postgres'
import { connectRedis, type RedisConnection } from '@keyward/redis'
import pg from 'pg'

const serverScript = fileURLToPath(new URL('./server.js', import.meta.url))

/** Where a fleet keeps its records and counts. */
export interface FleetServices {
	/** PostgreSQL URL the instances use: PgBouncer in transaction pooling. */
	pooledUrl: string
	/** PostgreSQL URL for what a pooler in transaction mode must not carry: dropping the schema, sizes. */
	directUrl: string
	/** Redis Cluster node URLs. */
	clusterNodes: readonly string[]
}

/** Server processes on one schema and key prefix, and a keyward in this process on the same. */
export interface Fleet {
	/** This process's keyward: creates keys, revokes, changes owners (and announces it). */
	readonly keyward: Keyward
	readonly store: PostgresStore
	readonly redis: RedisConnection
	readonly schema: string
	readonly prefix: string
	/** Base URLs of the running instances. */
	readonly servers: string[]
	/** Stop every instance gracefully (each gives its reserved units back), and start as many again. */
	restart(): Promise<void>
	/** Stop every instance gracefully. */
	stop(): Promise<void>
	/** Stop the instances, close this keyward and drop the schema and counters. */
	close(): Promise<void>
}

function uniqueName(prefix: string): string {
	return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`
}

interface Instance {
	child: ChildProcess
	output: string
	url: string
	/** Told to stop: an exit is expected. */
	stopping: boolean
}

/** Start one instance; resolves with its URL once it listens. */
function startInstance(env: Record<string, string>): Promise<Instance> {
	const child = spawn(process.execPath, [serverScript], {
		env: { ...process.env, ...env, PORT: '0' },
		stdio: ['ignore', 'pipe', 'pipe'],
	})
	const instance: Instance = { child, output: '', url: '', stopping: false }
	return new Promise((resolve, reject) => {
		const timer = setTimeout(
			() => reject(new Error(`an instance did not start:\n${instance.output}`)),
			30_000,
		)
		child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
			instance.output += chunk
		})
		child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
			instance.output += chunk
			const port = /listening on (\d+)/.exec(instance.output)?.[1]
			if (port !== undefined && instance.url === '') {
				clearTimeout(timer)
				instance.url = `http://127.0.0.1:${port}`
				resolve(instance)
			}
		})
		child.once('exit', (code, signal) => {
			clearTimeout(timer)
			if (instance.url === '')
				reject(new Error(`an instance exited (${code}) before listening:\n${instance.output}`))
			else if (!instance.stopping)
				console.error(`an instance exited (${code ?? signal}):\n${instance.output}`)
		})
	})
}

/** SIGTERM, then wait for a clean exit (SIGKILL after 30 s, which is an error). */
async function stopInstance(instance: Instance): Promise<void> {
	const { child } = instance
	if (child.exitCode !== null || child.signalCode !== null)
		throw new Error(`an instance died:\n${instance.output}`)
	const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
	instance.stopping = true
	child.kill('SIGTERM')
	const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
	const code = await exited
	clearTimeout(timer)
	// An instance killed before it closed would keep its reserved units from the counts.
	if (code !== 0) throw new Error(`an instance did not close cleanly (${code}):\n${instance.output}`)
}

/**
 * Start `processes` instances of `server.ts` on a fresh schema and Redis prefix, records through
 * `services.pooledUrl`, and a keyward in this process on the same.
 */
export async function startFleet(services: FleetServices, processes: number): Promise<Fleet> {
	const schema = uniqueName('kw_fleet')
	const prefix = `${uniqueName('kwfleet')}:`
	const store = await openPostgresStore({ url: services.pooledUrl, schema, poolSize: 16 })
	const redis = await connectRedis({ cluster: services.clusterNodes, prefix })
	const keyward = createKeyward({ store, usage: redis.usage, invalidation: redis.invalidation })
	const env = {
		KEYWARD_PG_URL: services.pooledUrl,
		KEYWARD_PG_SCHEMA: schema,
		KEYWARD_REDIS_CLUSTER_NODES: services.clusterNodes.join(','),
		KEYWARD_REDIS_PREFIX: prefix,
	}
	let instances: Instance[] = []
	const servers: string[] = []
	const start = async () => {
		const started = await Promise.allSettled(Array.from({ length: processes }, () => startInstance(env)))
		instances = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
		const failed = started.find((s) => s.status === 'rejected')
		if (failed !== undefined) {
			for (const instance of instances) instance.child.kill('SIGKILL')
			throw (failed as PromiseRejectedResult).reason
		}
		servers.splice(0, servers.length, ...instances.map((i) => i.url))
	}
	const stop = async () => {
		await Promise.all(instances.map(stopInstance))
		instances = []
		servers.length = 0
	}
	try {
		await start()
	} catch (error) {
		await keyward.close().catch(() => {})
		throw error
	}
	return {
		keyward,
		store,
		redis,
		schema,
		prefix,
		servers,
		async restart() {
			await stop()
			await start()
		},
		stop,
		async close() {
			try {
				await stop()
			} finally {
				await deleteCounters(services.clusterNodes, prefix)
				await keyward.close()
				const direct = new pg.Pool({ connectionString: services.directUrl, max: 1 })
				await direct.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
				await direct.end()
			}
		},
	}
}

/** Delete the counters under `prefix` on every master (one key per command: keys of many slots). */
export async function deleteCounters(nodes: readonly string[], prefix: string): Promise<void> {
	const { createCluster } = await import('redis')
	const cluster = createCluster({ rootNodes: nodes.map((url) => ({ url })) })
	cluster.on('error', () => {})
	await cluster.connect()
	try {
		for (const master of cluster.masters) {
			const client = await cluster.nodeClient(master)
			for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 }))
				for (const key of keys) await client.unlink(key)
		}
	} finally {
		await cluster.close()
	}
}
