import { clusterCommandClient } from './cluster-commands.js'
import { RoamingSubscriber } from './cluster-subscriber.js'
import type { ConnectRedisOptions, RedisConnection } from './connect-types.js'
import { RedisInvalidationChannel } from './invalidation.js'
import { type NodeRedisCluster, type NodeRedisModule, shut, urlSettings } from './node-redis.js'
import { RedisUsageCounter } from './usage-counter.js'

/** How often a node-redis cluster may be told to re-read the topology while a node fails. */
const REDISCOVER_EVERY_MS = 1000

/** The internal topology refresh of node-redis's cluster client (see {@link watchTopology}). */
interface Rediscovering {
	_slots?: { rediscover?(startWith: { options: Record<string, unknown> }): Promise<void> }
}

/**
 * node-redis re-reads a cluster's topology only when a node answers `MOVED` or `ASK`. A master
 * that died never answers again, so after its replica took over, commands for its slots would
 * go on failing. Whenever a node's connection fails, ask for the topology again (at most once a
 * second): once a replica is promoted, its slots are served again. This uses node-redis's own
 * refresh, which it does not export; without it (another version), failover waits for a `MOVED`.
 */
function watchTopology(cluster: NodeRedisCluster, roots: readonly string[], onError: (error: Error) => void) {
	const slots = (cluster as NodeRedisCluster & Rediscovering)._slots
	if (typeof slots?.rediscover !== 'function') return
	let last = 0
	let running = false
	cluster.on('node-error', () => {
		const now = Date.now()
		if (running || now - last < REDISCOVER_EVERY_MS || !cluster.isOpen) return
		running = true
		last = now
		const root = roots[Math.floor(Math.random() * roots.length)] as string
		slots
			.rediscover?.({ options: { url: root } })
			.catch(onError)
			.finally(() => {
				running = false
			})
	})
}

/**
 * {@link connectRedis} on a Redis Cluster: one node-redis cluster client for commands (each to
 * the master of its key's slot), and a classic pub/sub subscriber on any one node, which moves to
 * another when its node fails.
 */
export async function connectCluster(
	redis: NodeRedisModule,
	roots: readonly string[],
	options: Readonly<ConnectRedisOptions>,
): Promise<RedisConnection> {
	const prefix = options.prefix ?? 'keyward:'
	const connectTimeoutMs = options.connectTimeoutMs ?? 5000
	const onError = options.onError ?? (() => {})
	const deadline = Date.now() + connectTimeoutMs
	const { tls, ...credentials } = urlSettings(roots[0] as string)
	let connected = false
	const socket = {
		connectTimeout: connectTimeoutMs,
		...(tls ? { tls: true } : {}),
		// Give up on the first connections after the deadline; after that, keep trying.
		reconnectStrategy: (retries: number, cause: Error) =>
			!connected && Date.now() >= deadline ? cause : Math.min(50 * 2 ** retries, 1000),
	}
	const cluster = redis.createCluster({
		rootNodes: roots.map((url) => ({ url })),
		// Commands fail at once while their node is disconnected instead of queueing: a queued
		// consume would count a request keyward already answered with 503.
		defaults: { ...credentials, socket, disableOfflineQueue: true },
	})
	// Without a listener, a connection error would crash the process.
	cluster.on('error', onError)
	cluster.on('node-error', onError)

	const nodeUrls = () => {
		const scheme = tls ? 'rediss' : 'redis'
		const auth =
			credentials.password === undefined
				? ''
				: `${encodeURIComponent(credentials.username ?? '')}:${encodeURIComponent(credentials.password)}@`
		const known = [...cluster.masters, ...cluster.replicas].map(
			(n) => `${scheme}://${auth}${n.host}:${n.port}`,
		)
		return [...new Set([...known, ...roots])]
	}
	let invalidation: RedisInvalidationChannel | undefined
	const subscriber = new RoamingSubscriber({
		nodes: nodeUrls,
		open(url) {
			let ready = false
			const client = redis.createClient({
				url,
				socket: {
					connectTimeout: Math.min(connectTimeoutMs, 1000),
					...(tls ? { tls: true } : {}),
					// The first attempt fails at once (the subscriber tries another node); then retry.
					reconnectStrategy: (retries: number, cause: Error) =>
						ready ? Math.min(50 * 2 ** retries, 1000) : cause,
				},
			})
			client.once('ready', () => {
				ready = true
			})
			client.on('error', onError)
			return client
		},
		onReady: () => invalidation?.missed(),
		checkEveryMs: 1000,
	})

	let closing: Promise<void> | undefined
	const close = () => {
		closing ??= Promise.all([shut(cluster), subscriber.close()]).then(() => {})
		return closing
	}
	let holders = 2
	const release = async () => {
		if (--holders === 0) await close()
	}
	try {
		await cluster.connect()
		connected = true
		watchTopology(cluster, roots, onError)
		const client = clusterCommandClient(cluster, 1000)
		const usage = new RedisUsageCounter({
			client,
			prefix,
			cluster: true,
			onClose: release,
			batch: options.batch,
		})
		invalidation = new RedisInvalidationChannel({
			publisher: client,
			subscriber,
			channel: `${prefix}invalidate`,
			onClose: release,
		})
		await invalidation.start()
		return { usage, invalidation, close }
	} catch (error) {
		try {
			cluster.destroy()
		} catch {
			// Already closed by the failed connect.
		}
		await subscriber.close()
		throw error
	}
}
