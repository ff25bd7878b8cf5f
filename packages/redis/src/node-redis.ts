import type { RedisMessageListener } from './client.js'

/** What `connectRedis` uses of a node-redis client (`createClient`). */
export interface NodeRedisClient {
	connect(): Promise<unknown>
	close(): Promise<unknown>
	destroy(): void
	on(event: 'error', listener: (error: Error) => void): unknown
	on(event: 'ready', listener: () => void): unknown
	once(event: 'ready', listener: () => void): unknown
	sendCommand(args: string[]): Promise<unknown>
	subscribe(channel: string, listener: RedisMessageListener): Promise<unknown>
	unsubscribe(channel: string, listener?: RedisMessageListener): Promise<unknown>
	readonly isOpen: boolean
	readonly isReady: boolean
}

/** A node of a cluster, as node-redis lists it in `masters` and `replicas`. */
export interface NodeRedisClusterNode {
	readonly host: string
	readonly port: number
}

/** What `connectRedis` uses of a node-redis cluster client (`createCluster`). */
export interface NodeRedisCluster {
	connect(): Promise<unknown>
	close(): Promise<unknown>
	destroy(): void
	on(event: 'error' | 'node-error', listener: (error: Error) => void): unknown
	sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>
	nodeClient(node: NodeRedisClusterNode): Promise<Pick<NodeRedisClient, 'sendCommand'>>
	readonly masters: readonly NodeRedisClusterNode[]
	readonly replicas: readonly NodeRedisClusterNode[]
	readonly isOpen: boolean
}

/** The `redis` package, loaded on first use. */
export interface NodeRedisModule {
	createClient(options: Record<string, unknown>): NodeRedisClient
	createCluster(options: Record<string, unknown>): NodeRedisCluster
}

/** Load node-redis, or say what to install. */
export async function loadNodeRedis(): Promise<NodeRedisModule> {
	try {
		return (await import('redis')) as unknown as NodeRedisModule
	} catch (error) {
		const message =
			'connectRedis needs the "redis" package (node-redis v5): install it next to @keyward/redis'
		throw new Error(message, { cause: error })
	}
}

/**
 * Close a client or cluster, waiting for Redis to acknowledge for at most `graceMs`, then drop
 * the connections: a hung server must not hang shutdown.
 */
export async function shut(
	client: Pick<NodeRedisClient, 'close' | 'destroy' | 'isOpen'>,
	graceMs = 2000,
): Promise<void> {
	if (!client.isOpen) return
	let timer: ReturnType<typeof setTimeout> | undefined
	const late = new Promise<'late'>((resolve) => {
		timer = setTimeout(() => resolve('late'), graceMs)
	})
	try {
		if ((await Promise.race([client.close(), late])) === 'late') client.destroy()
	} catch {
		client.destroy()
	} finally {
		clearTimeout(timer)
	}
}

/** The credentials and TLS setting of a `redis://` or `rediss://` URL, for the nodes a cluster discovers. */
export function urlSettings(url: string): { username?: string; password?: string; tls: boolean } {
	const parsed = new URL(url)
	const settings: { username?: string; password?: string; tls: boolean } = {
		tls: parsed.protocol.toLowerCase() === 'rediss:',
	}
	if (parsed.username !== '') settings.username = decodeURIComponent(parsed.username)
	if (parsed.password !== '') settings.password = decodeURIComponent(parsed.password)
	return settings
}

/** `work`, or a rejection once `ms` have passed without its answer. */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
	let timer: ReturnType<typeof setTimeout> | undefined
	const late = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms)
	})
	return Promise.race([work, late]).finally(() => clearTimeout(timer))
}
