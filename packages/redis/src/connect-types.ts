import type { RedisInvalidationChannel } from './invalidation.js'
import type { RedisBatchOptions } from './reservations.js'
import type { RedisUsageCounter } from './usage-counter.js'

/** Options of `connectRedis`. */
export interface ConnectRedisOptions {
	/** `redis://` or `rediss://` URL of a Redis server (or of a proxy in front of several). */
	url?: string | undefined
	/**
	 * Redis Cluster: `redis://` or `rediss://` URLs of some of its nodes (any one that answers
	 * is enough to find the others; credentials and TLS of the first apply to all). Instead of `url`.
	 * Counters are named so that a key's and its owner's share a hash slot, and invalidations go
	 * over classic pub/sub (see the README).
	 */
	cluster?: readonly string[] | undefined
	/** Start of every key and of the channel name: `<prefix>usage:…`, `<prefix>invalidate`. @defaultValue 'keyward:' */
	prefix?: string | undefined
	/**
	 * How long to keep trying the first connection before rejecting. Once connected, the client
	 * reconnects forever (at most a second apart) and commands fail fast while it is away.
	 * @defaultValue 5000
	 */
	connectTimeoutMs?: number | undefined
	/**
	 * Receives connection errors (each failed reconnect attempt, for instance). They need no
	 * action: calls made meanwhile fail, and keyward answers 503 until Redis is back.
	 * @defaultValue ignore them
	 */
	onError?: ((error: Error) => void) | undefined
	/**
	 * Count quotas in batches (see `RedisUsageCounterOptions.batch`): most requests are counted
	 * without a round trip, the limit still holds across instances. @defaultValue false
	 */
	batch?: RedisBatchOptions | boolean | undefined
}

/** What `connectRedis` opens: pass `usage` and `invalidation` to `createKeyward`. */
export interface RedisConnection {
	readonly usage: RedisUsageCounter
	readonly invalidation: RedisInvalidationChannel
	/** Close both connections (also done once `usage` and `invalidation` are both closed). */
	close(): Promise<void>
}
