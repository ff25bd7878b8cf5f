import type { UsageCounter } from '@keyward/core'
import { rejectUnknownOptions } from '@keyward/core/adapter'
import type { ConsumeAllResult, ConsumeResult, CounterLimit } from '@keyward/core/testing'
import type { RedisCommandClient } from './client.js'
import { type RedisBatchOptions, Reservations } from './reservations.js'
import { CONSUME, CONSUME_ALL, integers, pair, runScript, type Script } from './scripts.js'

const DAY_MS = 86_400_000

/**
 * Default expiry of a counter: for a `'YYYY-MM'` period, 00:00 UTC on the 2nd of the month
 * after next, which is after the period's end for every anchor day (1-28) and time zone. Other
 * period ids get 62 days. Never less than a day from now, so counting a past period still works.
 */
export function defaultCounterExpiry(period: string, nowMs: number): Date {
	const match = /^(\d{4})-(\d{2})$/.exec(period)
	const end = match === null ? nowMs + 62 * DAY_MS : Date.UTC(Number(match[1]), Number(match[2]) + 1, 2)
	return new Date(Math.max(end, nowMs + DAY_MS))
}

/** Options of {@link RedisUsageCounter}. */
export interface RedisUsageCounterOptions {
	/** Runs the script; a node-redis client fits as is. */
	client: RedisCommandClient
	/** Start of every key this counter writes. @defaultValue 'keyward:' */
	prefix?: string | undefined
	/** When a period's counter expires. @defaultValue {@link defaultCounterExpiry} */
	expireAt?: ((period: string, nowMs: number) => Date) | undefined
	/** Called once by `close()`, e.g. to close a connection the counter was given. @defaultValue none */
	onClose?: (() => Promise<void>) | undefined
	/** Clock in epoch milliseconds, for tests. @defaultValue Date.now */
	now?: (() => number) | undefined
	/**
	 * Name counters for Redis Cluster: a counter's hash tag is its group (keyward passes the owner),
	 * so the counters of a key and of its owner share a hash slot and `consumeAll` runs as one
	 * script. The names differ from the standalone ones (see {@link RedisUsageCounter.keyFor}), so
	 * counts kept under the other naming are not seen. `connectRedis` sets it for a cluster.
	 * @defaultValue false
	 */
	cluster?: boolean | undefined
	/**
	 * Count in batches: reserve units in Redis ahead of use and serve requests from them without a
	 * round trip. Still never lets more than the limit through across all instances; near the limit
	 * a request may be refused while other instances hold unused units (see the README for the
	 * worst case). `true` takes the defaults. @defaultValue false (one round trip per request)
	 */
	batch?: RedisBatchOptions | boolean | undefined
}

const COUNTER_OPTIONS: readonly (keyof RedisUsageCounterOptions)[] = [
	'client',
	'prefix',
	'expireAt',
	'onClose',
	'now',
	'cluster',
	'batch',
]

/**
 * Quota counters in Redis: each `consume` is one server-side script, so any number of
 * instances share a limit exactly. A counter lives in one key per counter id and period (see
 * {@link RedisUsageCounter.keyFor}) and expires after its period. Throws when Redis fails; keyward
 * then answers 503.
 *
 * `consumeAll` (a key and its owner's shared quota) runs one script over all the counters' keys.
 * Redis Cluster runs a script only when all its keys share a hash slot: with `cluster`, counters
 * are named after their group (the owner), so a key's counter and its owner's always do.
 *
 * With `batch`, units are reserved in Redis ahead of use and most requests are counted without
 * a round trip; the limit still holds across instances (see {@link RedisUsageCounterOptions.batch}).
 * @example
 * const client = await createClient({ url: process.env.KEYWARD_REDIS_URL }).connect()
 * const keyward = createKeyward({ store, usage: new RedisUsageCounter({ client }) })
 */
export class RedisUsageCounter implements UsageCounter {
	/** The key prefix in use. */
	readonly prefix: string
	readonly #client: RedisCommandClient
	readonly #expireAt: (period: string, nowMs: number) => Date
	readonly #onClose: (() => Promise<void>) | undefined
	readonly #now: () => number
	readonly #batch: Reservations | undefined
	readonly #cluster: boolean
	#closed: Promise<void> | undefined

	constructor(options: Readonly<RedisUsageCounterOptions>) {
		if (typeof options?.client?.sendCommand !== 'function') {
			throw new TypeError('RedisUsageCounter needs a client with a sendCommand(args) method')
		}
		rejectUnknownOptions(options, COUNTER_OPTIONS, 'RedisUsageCounter options')
		this.#client = options.client
		this.prefix = options.prefix ?? 'keyward:'
		this.#cluster = options.cluster ?? false
		if (this.#cluster && /[{}]/.test(this.prefix)) {
			// A brace in the prefix would become every counter's hash tag: one slot for everything.
			throw new TypeError('prefix must not contain { or } on Redis Cluster')
		}
		this.#expireAt = options.expireAt ?? defaultCounterExpiry
		this.#onClose = options.onClose
		this.#now = options.now ?? Date.now
		const batch = options.batch ?? false
		this.#batch =
			batch === false
				? undefined
				: new Reservations(
						{
							run: (script, key, args) => this.#run(script, [key], args),
							keyFor: (keyId, period, group) => this.keyFor(keyId, period, group),
							expiry: (period) => this.#expiry(period),
						},
						batch === true ? {} : batch,
					)
	}

	/** Whether this counter counts in batches. */
	get batched(): boolean {
		return this.#batch !== undefined
	}

	/**
	 * The Redis key holding the counter of `keyId` (of group `group`) for `period`:
	 * `<prefix>usage:{<keyId>}:<period>`, whose hash tag keeps a counter's periods on one slot. With
	 * `cluster` and a group, `<prefix>usage:{<group>}:<keyId>:<period>`, whose hash tag keeps a
	 * group's counters on one slot; `%`, `{` and `}` in the group are written `%25`, `%7B` and
	 * `%7D`, so that any owner id is one whole, non-empty tag.
	 */
	keyFor(keyId: string, period: string, group?: string | undefined): string {
		if (!this.#cluster || group === undefined || group === '')
			return `${this.prefix}usage:{${keyId}}:${period}`
		return `${this.prefix}usage:{${hashTag(group)}}:${keyId}:${period}`
	}

	/** A promise of the result, or, when batched units reserved here cover the request, the result itself. */
	consume(
		keyId: string,
		period: string,
		cost: number,
		limit: number,
		group?: string | undefined,
	): ConsumeResult | Promise<ConsumeResult> {
		if (this.#batch !== undefined && cost > 0) return this.#batch.consume(keyId, period, cost, limit, group)
		return this.#exact(keyId, period, cost, limit, group)
	}

	/**
	 * Add `cost` to every counter unless one of them would pass its limit: one script in exact mode;
	 * with `batch`, served from units reserved here for every counter (see the README), and the
	 * result itself, not a promise, when they cover the request.
	 */
	consumeAll(
		counters: readonly CounterLimit[],
		period: string,
		cost: number,
	): ConsumeAllResult | Promise<ConsumeAllResult> {
		if (this.#batch !== undefined && cost > 0) return this.#batch.consumeAll(counters, period, cost)
		return this.#exactAll(counters, period, cost)
	}

	/**
	 * Give back every unit this counter has reserved and not used (batched counting only; `close()`
	 * does it too). Other instances can then use them at once.
	 */
	async flush(): Promise<void> {
		await this.#batch?.flush()
	}

	/** Give back reserved units (batched counting), then run `onClose` (once). */
	close(): Promise<void> {
		this.#closed ??= (async () => {
			try {
				await this.#batch?.close()
			} finally {
				await this.#onClose?.()
			}
		})()
		return this.#closed
	}

	async #exact(
		keyId: string,
		period: string,
		cost: number,
		limit: number,
		group: string | undefined,
	): Promise<ConsumeResult> {
		// A reservation in flight would be in the counter before it is in `unserved`.
		if (this.#batch !== undefined) await this.#batch.settled(keyId)
		const [allowed, counted] = pair(
			await this.#run(
				CONSUME,
				[this.keyFor(keyId, period, group)],
				[String(cost), String(limit), this.#expiry(period)],
			),
		)
		return { allowed: allowed === 1, used: this.#used(keyId, period, counted) }
	}

	async #exactAll(
		counters: readonly CounterLimit[],
		period: string,
		cost: number,
	): Promise<ConsumeAllResult> {
		if (this.#batch !== undefined) for (const { id } of counters) await this.#batch.settled(id)
		const [allowed, ...counted] = integers(
			await this.#run(
				CONSUME_ALL,
				counters.map(({ id, group }) => this.keyFor(id, period, group)),
				[String(cost), this.#expiry(period), ...counters.map(({ limit }) => String(limit))],
			),
			counters.length + 1,
		)
		const used = counters.map(({ id }, i) => this.#used(id, period, counted[i] as number))
		return { allowed: allowed === 1, used }
	}

	/** Units this instance reserved but has not served are in the counter, not used. */
	#used(keyId: string, period: string, counted: number): number {
		return counted - (this.#batch?.unserved(keyId, period) ?? 0)
	}

	#run(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
		return runScript(this.#client, script, keys, args)
	}

	#expiry(period: string): string {
		return String(Math.ceil(this.#expireAt(period, this.#now()).getTime() / 1000))
	}
}

/** `group` as a hash tag: never empty, and no brace in it to end or open a tag early. */
function hashTag(group: string): string {
	return group.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}
