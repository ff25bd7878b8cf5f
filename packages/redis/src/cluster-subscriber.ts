import type { RedisMessageListener, RedisSubscriber } from './client.js'
import { type NodeRedisClient, withTimeout } from './node-redis.js'

/** How {@link RoamingSubscriber} reaches the nodes of a cluster. */
export interface RoamingSubscriberOptions {
	/** URLs of the nodes to subscribe on, tried in turn: the root nodes, then those discovered. */
	nodes(): readonly string[]
	/**
	 * A new, unconnected client for `url` (with an error listener), whose `connect()` fails when
	 * the first attempt does: moving on to another node is this subscriber's job.
	 */
	open(url: string): NodeRedisClient
	/**
	 * Called whenever a subscription is (re)established on a node: messages published meanwhile
	 * were not received.
	 */
	onReady(): void
	/** How often the node is asked for a `PING`, and how long it (or a new node) has to answer. */
	checkEveryMs: number
}

/**
 * A classic pub/sub subscriber on a Redis Cluster. Every node of a cluster forwards every
 * `PUBLISH` to every other, so a subscriber needs one connection to any one node. This one stays
 * on a node while it answers, and moves to the next when the node has been unreachable or silent
 * for `checkEveryMs` (a crashed, hung or failed-over host), subscribing there again and calling
 * `onReady`, so that the listener drops what it may have missed.
 */
export class RoamingSubscriber implements RedisSubscriber {
	readonly #options: RoamingSubscriberOptions
	readonly #channels = new Map<string, Set<RedisMessageListener>>()
	#client: NodeRedisClient | undefined
	#connecting: Promise<NodeRedisClient> | undefined
	#node = -1
	#timer: ReturnType<typeof setInterval> | undefined
	#checking = false
	#closed = false

	constructor(options: RoamingSubscriberOptions) {
		this.#options = options
	}

	async subscribe(channel: string, listener: RedisMessageListener): Promise<void> {
		const listeners = this.#channels.get(channel) ?? new Set()
		this.#channels.set(channel, listeners.add(listener))
		const client = await this.#current()
		await client.subscribe(channel, listener)
	}

	async unsubscribe(channel: string, listener?: RedisMessageListener): Promise<void> {
		if (listener === undefined) this.#channels.delete(channel)
		else this.#channels.get(channel)?.delete(listener)
		if (this.#channels.get(channel)?.size === 0) this.#channels.delete(channel)
		if (this.#client?.isOpen) await this.#client.unsubscribe(channel, listener)
	}

	/** Stop watching and close the connection. */
	async close(): Promise<void> {
		this.#closed = true
		if (this.#timer !== undefined) clearInterval(this.#timer)
		this.#timer = undefined
		const client = this.#client
		this.#client = undefined
		if (client?.isOpen) client.destroy()
	}

	/** The connected client, connecting to the first node that answers when there is none. */
	#current(): Promise<NodeRedisClient> {
		if (this.#client !== undefined) return Promise.resolve(this.#client)
		this.#connecting ??= this.#connectSomewhere().finally(() => {
			this.#connecting = undefined
		})
		return this.#connecting
	}

	async #connectSomewhere(): Promise<NodeRedisClient> {
		const nodes = this.#options.nodes()
		let failure: unknown = new Error('no cluster node to subscribe on')
		for (let i = 1; i <= nodes.length; i++) {
			if (this.#closed) break
			const index = (this.#node + i) % nodes.length
			const client = this.#options.open(nodes[index] as string)
			try {
				// A hung host accepts the connection and never answers: give it as long as a check.
				await withTimeout(this.#resubscribe(client), this.#options.checkEveryMs)
			} catch (error) {
				failure = error
				client.destroy()
				continue
			}
			this.#node = index
			this.#client = client
			// A reconnect to the same node loses messages too; the first ready is this connection's.
			let first = true
			client.on('ready', () => {
				if (!first) this.#options.onReady()
				first = false
			})
			this.#timer ??= this.#watch()
			this.#options.onReady()
			return client
		}
		throw failure
	}

	/** Connect `client` and subscribe it to every channel with a listener. */
	async #resubscribe(client: NodeRedisClient): Promise<void> {
		await client.connect()
		for (const [channel, listeners] of this.#channels)
			for (const listener of listeners) await client.subscribe(channel, listener)
	}

	#watch(): ReturnType<typeof setInterval> {
		const timer = setInterval(() => {
			if (this.#checking || this.#closed) return
			this.#checking = true
			this.#check()
				.finally(() => {
					this.#checking = false
				})
				.catch(() => {})
		}, this.#options.checkEveryMs)
		timer.unref()
		return timer
	}

	/** Ask the node for a `PING`; move on when it does not answer in time. */
	async #check(): Promise<void> {
		const client = this.#client
		if (client !== undefined) {
			if (client.isReady && (await answers(client, this.#options.checkEveryMs))) return
			if (this.#client !== client || this.#closed) return
			this.#client = undefined
			client.destroy()
		}
		try {
			await this.#current()
		} catch {
			// No node answered: the next check tries again.
		}
	}
}

/** Whether `client` answers a `PING` within `ms`. */
async function answers(client: NodeRedisClient, ms: number): Promise<boolean> {
	try {
		await withTimeout(client.sendCommand(['PING']), ms)
		return true
	} catch {
		return false
	}
}
