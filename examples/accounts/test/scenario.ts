import { fileURLToPath } from 'node:url'
import { createKeyward, type Keyward } from '@keyward/core'
import { type NodeProcess, pgUrl, redisUrl, startNodeProcess, uniqueName } from '@keyward/internal-testing'
import { openPostgresStore } from '@keyward/postgres'
import { connectRedis } from '@keyward/redis'
import pg from 'pg'

const serverScript = fileURLToPath(new URL('../dist/server.js', import.meta.url))

/** A fleet sharing one PostgreSQL schema and one Redis prefix: a keyward here, servers elsewhere. */
export interface Fleet {
	/** This process's keyward (an instance like the servers', invalidation included). */
	keyward: Keyward
	/** Base URLs of the server processes. */
	servers: string[]
	close(): Promise<void>
}

/** Start `processes` servers of the example and a keyward in this process, on fresh tables and keys. */
export async function startFleet(processes: number, batch: boolean): Promise<Fleet> {
	const schema = uniqueName('kw_accounts')
	const prefix = `${uniqueName('kwacct')}:`
	const store = await openPostgresStore({ url: pgUrl, schema })
	const redis = await connectRedis({ url: redisUrl, prefix, batch })
	const keyward = createKeyward({ store, usage: redis.usage, invalidation: redis.invalidation })
	const env = {
		KEYWARD_PG_URL: pgUrl,
		KEYWARD_PG_SCHEMA: schema,
		KEYWARD_REDIS_URL: redisUrl,
		KEYWARD_REDIS_PREFIX: prefix,
		KEYWARD_REDIS_BATCH: batch ? '1' : '0',
		PORT: '0',
	}
	const children: NodeProcess[] = []
	const servers: string[] = []
	for (let i = 0; i < processes; i++) {
		const child = startNodeProcess(serverScript, env)
		children.push(child)
		const [, port] = await child.waitForLine(/listening on (\d+)/, 20_000)
		servers.push(`http://127.0.0.1:${port}`)
	}
	return {
		keyward,
		servers,
		async close() {
			await Promise.all(children.map((child) => child.stop()))
			await keyward.close()
			const admin = new pg.Pool({ connectionString: pgUrl })
			await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
			await admin.end()
		},
	}
}

/** `GET <base><path>` with the key; the status and JSON body. */
export async function call(
	base: string,
	path: string,
	key: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
	const response = await fetch(`${base}${path}`, { headers: { authorization: `Apikey ${key}` } })
	return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

/**
 * Milliseconds until `check` holds, asking again every 10 ms; throws after 10 s (the promise under
 * test is one second: the extra room only keeps a slow machine from hanging the test).
 */
export async function msUntil(check: () => Promise<boolean>): Promise<number> {
	const started = performance.now()
	while (!(await check())) {
		if (performance.now() - started > 10_000) throw new Error('never happened')
		await new Promise((resolve) => setTimeout(resolve, 10))
	}
	return performance.now() - started
}
