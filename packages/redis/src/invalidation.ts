import type { InvalidationChannel } from '@keyward/core'
import { rejectUnknownOptions } from '@keyward/core/adapter'
import type { RedisCommandClient, RedisSubscriber } from './client.js'

/** Options of {@link RedisInvalidationChannel}. */
export interface RedisInvalidationChannelOptions {
	/** Sends `PUBLISH`; may be the connection the usage counter uses. */
	publisher: RedisCommandClient
	/** A connection dedicated to pub/sub. */
	subscriber: RedisSubscriber
	/** Pub/sub channel name; every instance sharing keys must use the same. @defaultValue 'keyward:invalidate' */
	channel?: string | undefined
	/** Called once by `close()`, e.g. to close connections the channel was given. @defaultValue none */
	onClose?: (() => Promise<void>) | undefined
}

/**
 * Cross-instance cache invalidation on Redis pub/sub: when one instance revokes, deletes,
 * rotates or updates a key, every instance subscribed to the channel evicts it from its cache.
 * Messages carry only the key id. Redis does not keep messages for a disconnected subscriber, so
 * after a reconnect {@link RedisInvalidationChannel.missed} clears the whole cache.
 * @example
 * const channel = new RedisInvalidationChannel({ publisher: client, subscriber: client.duplicate() })
 * const keyward = createKeyward({ store, invalidation: channel })
 */
export class RedisInvalidationChannel implements InvalidationChannel {
	/** The pub/sub channel in use. */
	readonly channel: string
	readonly #publisher: RedisCommandClient
	readonly #subscriber: RedisSubscriber
	readonly #onClose: (() => Promise<void>) | undefined
	readonly #listeners = new Set<(id: string | null) => void>()
	#subscribed: Promise<void> | undefined
	#closed: Promise<void> | undefined

	constructor(options: Readonly<RedisInvalidationChannelOptions>) {
		if (typeof options?.publisher?.sendCommand !== 'function') {
			throw new TypeError('RedisInvalidationChannel needs a publisher with a sendCommand(args) method')
		}
		if (typeof options.subscriber?.subscribe !== 'function') {
			throw new TypeError(
				'RedisInvalidationChannel needs a subscriber with a subscribe(channel, listener) method',
			)
		}
		rejectUnknownOptions(
			options,
			['publisher', 'subscriber', 'channel', 'onClose'] satisfies (keyof RedisInvalidationChannelOptions)[],
			'RedisInvalidationChannel options',
		)
		this.#publisher = options.publisher
		this.#subscriber = options.subscriber
		this.channel = options.channel ?? 'keyward:invalidate'
		this.#onClose = options.onClose
	}

	readonly #deliver = (message: string): void => {
		for (const listener of this.#listeners) listener(message)
	}

	/** Subscribe on the server now (idempotent); resolves once Redis confirmed the subscription. */
	start(): Promise<void> {
		if (this.#subscribed === undefined) {
			const pending = this.#subscriber.subscribe(this.channel, this.#deliver).then(() => {})
			this.#subscribed = pending
			// A failed attempt is forgotten, so the next call tries again.
			pending.catch(() => {
				if (this.#subscribed === pending) this.#subscribed = undefined
			})
		}
		return this.#subscribed
	}

	/** Announce that key `id` changed; every subscribed instance (this one included) evicts it. */
	async publish(id: string): Promise<void> {
		await this.#publisher.sendCommand(['PUBLISH', this.channel, id])
	}

	/**
	 * Tell listeners that announcements may have been lost (the subscriber reconnected): keyward
	 * then drops its whole cache. `connectRedis` calls it on every reconnect.
	 */
	missed(): void {
		for (const listener of this.#listeners) listener(null)
	}

	/** Call `listener` with the id of every changed key, or `null` after a gap; subscribes on first use. */
	async subscribe(listener: (id: string | null) => void): Promise<void> {
		this.#listeners.add(listener)
		await this.start()
	}

	/** Unsubscribe, forget the listeners and run `onClose` (once). */
	close(): Promise<void> {
		this.#closed ??= (async () => {
			this.#listeners.clear()
			const subscribed = this.#subscribed
			this.#subscribed = undefined
			try {
				if (subscribed !== undefined) {
					await subscribed
					await this.#subscriber.unsubscribe(this.channel, this.#deliver)
				}
			} catch {
				// Nothing to undo on a connection that failed or is gone.
			}
			await this.#onClose?.()
		})()
		return this.#closed
	}
}
