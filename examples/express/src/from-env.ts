import type { Server } from 'node:http'
import { createKeyward, type Keyward, MemoryStore } from '@keyward/core'
import { openPostgresStore } from '@keyward/postgres'
import { connectRedis } from '@keyward/redis'

/** Where the examples keep their data, and which store they use. */
export interface ExampleKeyward {
	keyward: Keyward
	/** Human description of the stores, for start-up messages. */
	describe: string
}

/**
 * The examples' store choice: PostgreSQL when `KEYWARD_PG_URL` is set, else an embedded PGlite
 * database on disk (`KEYWARD_DATA_DIR`, default `.keyward/<name>`); quota counting in Redis when
 * `KEYWARD_REDIS_URL` is set (with cross-instance invalidation), else in this process.
 */
export async function keywardFromEnv(
	name: string,
	env: NodeJS.ProcessEnv = process.env,
): Promise<ExampleKeyward> {
	const dataDir = env.KEYWARD_DATA_DIR || `.keyward/${name}`
	const store = await openPostgresStore({ url: env.KEYWARD_PG_URL || undefined, dataDir })
	const redis = env.KEYWARD_REDIS_URL ? await connectRedis({ url: env.KEYWARD_REDIS_URL }) : undefined
	const keyward = createKeyward({
		store,
		usage: redis?.usage ?? new MemoryStore(),
		invalidation: redis?.invalidation,
	})
	const where = env.KEYWARD_PG_URL ? 'PostgreSQL' : `PGlite in ${dataDir}`
	return {
		keyward,
		describe: `keys in ${where}, quotas ${redis === undefined ? 'in this process' : 'in Redis'}`,
	}
}

/** On Ctrl-C or SIGTERM, stop taking requests and close the keyward (and with it the store). */
export function closeOnSignal(server: Server, keyward: Keyward): void {
	const stop = () => {
		server.close()
		keyward.close().catch(() => {})
	}
	process.once('SIGINT', stop)
	process.once('SIGTERM', stop)
}
