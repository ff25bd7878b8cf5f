import { createKeyward } from '@keyward/core'
import { openPostgresStore } from '@keyward/postgres'
import { connectRedis } from '@keyward/redis'
import { createAccountsApp } from './app.js'

// Records in PostgreSQL, quotas and invalidation in Redis: any number of these processes share
// one account's scopes, limit and switch. KEYWARD_REDIS_BATCH=1 counts in batches.
const env = process.env
if (!env.KEYWARD_PG_URL || !env.KEYWARD_REDIS_URL) {
	console.error('set KEYWARD_PG_URL and KEYWARD_REDIS_URL')
	process.exit(2)
}
const store = await openPostgresStore({ url: env.KEYWARD_PG_URL, schema: env.KEYWARD_PG_SCHEMA || undefined })
const redis = await connectRedis({
	url: env.KEYWARD_REDIS_URL,
	prefix: env.KEYWARD_REDIS_PREFIX || undefined,
	batch: env.KEYWARD_REDIS_BATCH === '1',
})
const keyward = createKeyward({ store, usage: redis.usage, invalidation: redis.invalidation })
const server = createAccountsApp(keyward).listen(Number(env.PORT ?? 3000), '127.0.0.1', () => {
	const address = server.address()
	console.log(`listening on ${typeof address === 'object' && address !== null ? address.port : env.PORT}`)
})

process.once('SIGTERM', () => {
	server.close()
	server.closeAllConnections()
	keyward.close().then(
		() => process.exit(0),
		() => process.exit(1),
	)
})
