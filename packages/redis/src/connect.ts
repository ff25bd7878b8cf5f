import { KeywardError } from '@keyward/core'
import { rejectUnknownOptions } from '@keyward/core/adapter'
import { connectCluster } from './connect-cluster.js'
import type { ConnectRedisOptions, RedisConnection } from './connect-types.js'
import { RedisInvalidationChannel } from './invalidation.js'
import { loadNodeRedis, type NodeRedisClient, shut } from './node-redis.js'
import { resolveBatchOptions } from './reservations.js'
import { RedisUsageCounter } from './usage-counter.js'

export type { ConnectRedisOptions, RedisConnection } from './connect-types.js'

const REDIS_URL = /^rediss?:\/\//i

const CONNECT_OPTIONS: readonly (keyof ConnectRedisOptions)[] = [
	'url',
	'cluster',
	'prefix',
	'connectTimeoutMs',
	'onError',
	'batch',
]

/**
 * Connect to Redis with node-redis (the `redis` package, v5) and build a
 * {@link RedisUsageCounter} and a {@link RedisInvalidationChannel} on two connections (commands,
 * and a dedicated subscriber), or on a Redis Cluster with `cluster`. Resolves once both are
 * connected and subscribed; rejects when Redis cannot be reached within `connectTimeoutMs`.
 * Closing keyward closes them.
 * @example
 * const redis = await connectRedis({ url: process.env.KEYWARD_REDIS_URL })
 * const keyward = createKeyward({ store, usage: redis.usage, invalidation: redis.invalidation })
 * // On Redis Cluster:
 * const cluster = await connectRedis({ cluster: ['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379'] })
 */
export async function connectRedis(options: Readonly<ConnectRedisOptions>): Promise<RedisConnection> {
	if (typeof options !== 'object' || options === null) {
		throw new KeywardError('invalid_option', 'connectRedis expects an options object with a url or a cluster')
	}
	rejectUnknownOptions(options, CONNECT_OPTIONS, 'connectRedis options')
	if (options.batch !== undefined && options.batch !== false) resolveBatchOptions(options.batch)
	const nodes = options.cluster
	if (nodes !== undefined) {
		if (options.url !== undefined) throw new TypeError('give either url or cluster, not both')
		if (!Array.isArray(nodes) || nodes.length === 0 || !nodes.every((node) => REDIS_URL.test(node)))
			throw new TypeError('cluster must list node URLs starting with redis:// or rediss://')
		return connectCluster(await loadNodeRedis(), nodes, options)
	}
	if (!REDIS_URL.test(options.url ?? '')) {
		const got = options.url === undefined ? ' (url is undefined: is the environment variable set?)' : ''
		throw new TypeError(`url must start with redis:// or rediss://${got}`)
	}
	const redis = await loadNodeRedis()
	const prefix = options.prefix ?? 'keyward:'
	const connectTimeoutMs = options.connectTimeoutMs ?? 5000
	const onError = options.onError ?? (() => {})
	const deadline = Date.now() + connectTimeoutMs

	function open(overrides: Record<string, unknown>): NodeRedisClient {
		let connected = false
		const client = redis.createClient({
			url: options.url,
			...overrides,
			socket: {
				connectTimeout: connectTimeoutMs,
				// Give up on a first connection after the deadline; after that, keep trying.
				reconnectStrategy: (retries: number, cause: Error) =>
					!connected && Date.now() >= deadline ? cause : Math.min(50 * 2 ** retries, 1000),
			},
		})
		client.once('ready', () => {
			connected = true
		})
		// Without a listener, a connection error would crash the process.
		client.on('error', onError)
		return client
	}

	// Commands fail at once while disconnected instead of queueing: a queued consume would count
	// a request keyward already answered with 503.
	const commands = open({ disableOfflineQueue: true })
	// The subscriber keeps its queue: node-redis re-subscribes by itself after a reconnect.
	const subscriber = open({})
	const clients = [commands, subscriber]
	let closing: Promise<void> | undefined
	const close = () => {
		closing ??= Promise.all(clients.map((client) => shut(client))).then(() => {})
		return closing
	}
	// The counter and the channel each release their share; the last one closes the connections.
	let holders = 2
	const release = async () => {
		if (--holders === 0) await close()
	}
	try {
		await Promise.all(clients.map((client) => client.connect()))
		const usage = new RedisUsageCounter({ client: commands, prefix, onClose: release, batch: options.batch })
		const invalidation = new RedisInvalidationChannel({
			publisher: commands,
			subscriber,
			channel: `${prefix}invalidate`,
			onClose: release,
		})
		await invalidation.start()
		// Messages published while the subscriber was away are lost: after a reconnect, forget everything cached.
		subscriber.on('ready', () => invalidation.missed())
		return { usage, invalidation, close }
	} catch (error) {
		for (const client of clients) {
			try {
				client.destroy()
			} catch {
				// Already closed by the failed connect.
			}
		}
		throw error
	}
}
