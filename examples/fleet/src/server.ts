import { createKeyward } from '@keyward/core'
import { apiKeyAuth } from '@keyward/express'
import { openPostgresStore } from '@keyward/postgres'
import { connectRedis } from '@keyward/redis'
import express from 'express'

// One instance of a fleet: records in PostgreSQL (through PgBouncer in transaction pooling),
// quotas counted in batches and invalidations on a Redis Cluster. Start as many as you like on
// the same database and cluster; they share every key, limit and revocation.
const env = process.env
if (!env.KEYWARD_PG_URL || !env.KEYWARD_REDIS_CLUSTER_NODES) {
	console.error(
		'set KEYWARD_PG_URL (PgBouncer, or PostgreSQL) and KEYWARD_REDIS_CLUSTER_NODES (comma-separated)',
	)
	process.exit(2)
}
const store = await openPostgresStore({
	url: env.KEYWARD_PG_URL,
	schema: env.KEYWARD_PG_SCHEMA || undefined,
	poolSize: Number(env.KEYWARD_PG_POOL ?? 4),
})
const redis = await connectRedis({
	cluster: env.KEYWARD_REDIS_CLUSTER_NODES.split(','),
	prefix: env.KEYWARD_REDIS_PREFIX || undefined,
	batch: true,
})
// The whole key set fits in the cache: a fleet of 10,000 keys reads each record once per ttlMs.
const keyward = createKeyward({
	store,
	usage: redis.usage,
	invalidation: redis.invalidation,
	cache: { max: 50_000 },
})

const app = express()
app.use('/api', apiKeyAuth(keyward))
app.get('/api/hello', (req, res) => {
	res.json({ owner: req.apiKey?.owner })
})
const server = app.listen(Number(env.PORT ?? 3000), '127.0.0.1', () => {
	const address = server.address()
	console.log(`listening on ${typeof address === 'object' && address !== null ? address.port : env.PORT}`)
})
// Keep idle connections longer than the load balancer in front does (60 s is a common idle
// timeout): a server that closes first races the balancer's next request on that connection, and
// the client gets a reset.
server.keepAliveTimeout = 65_000
server.headersTimeout = 66_000

// Stopping gracefully gives the quota units this instance reserved back to the cluster.
process.once('SIGTERM', () => {
	server.close()
	server.closeAllConnections()
	keyward.close().then(
		() => process.exit(0),
		(error: unknown) => {
			console.error('close failed', error)
			process.exit(1)
		},
	)
})
