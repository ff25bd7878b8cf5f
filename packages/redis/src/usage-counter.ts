import { createHash } from 'node:crypto'
import type { ConsumeResult, UsageCounter } from '@keyward/core'
import type { RedisCommandClient } from './client.js'

/**
 * Adds ARGV[1] to KEYS[1] unless the sum would pass ARGV[2], then sets the expiry (ARGV[3],
 * epoch seconds). Replies `{allowed, used}`. A denial or a read (cost 0) writes nothing.
 */
const CONSUME_SCRIPT = `local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local cost = tonumber(ARGV[1])
if used + cost > tonumber(ARGV[2]) then return {0, used} end
if cost == 0 then return {1, used} end
used = redis.call('INCRBY', KEYS[1], cost)
redis.call('EXPIREAT', KEYS[1], ARGV[3])
return {1, used}`

const CONSUME_SHA = createHash('sha1').update(CONSUME_SCRIPT).digest('hex')

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
}

function isNoScript(error: unknown): boolean {
	return error instanceof Error && error.message.startsWith('NOSCRIPT')
}

/**
 * Quota counters in Redis: each `consume` is one server-side script, so any number of
 * instances share a limit exactly. A counter lives in one key per key id and period,
 * `<prefix>usage:{<keyId>}:<period>` (the hash tag keeps a key's counters on one cluster slot),
 * and expires after its period. Throws when Redis fails; keyward then answers 503.
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
	#closed: Promise<void> | undefined

	constructor(options: Readonly<RedisUsageCounterOptions>) {
		if (typeof options?.client?.sendCommand !== 'function') {
			throw new TypeError('RedisUsageCounter needs a client with a sendCommand(args) method')
		}
		this.#client = options.client
		this.prefix = options.prefix ?? 'keyward:'
		this.#expireAt = options.expireAt ?? defaultCounterExpiry
		this.#onClose = options.onClose
		this.#now = options.now ?? Date.now
	}

	/** The Redis key holding the counter of `keyId` for `period`. */
	keyFor(keyId: string, period: string): string {
		return `${this.prefix}usage:{${keyId}}:${period}`
	}

	async consume(keyId: string, period: string, cost: number, limit: number): Promise<ConsumeResult> {
		const expireAt = Math.ceil(this.#expireAt(period, this.#now()).getTime() / 1000)
		const args = ['1', this.keyFor(keyId, period), String(cost), String(limit), String(expireAt)]
		let reply: unknown
		try {
			reply = await this.#client.sendCommand(['EVALSHA', CONSUME_SHA, ...args])
		} catch (error) {
			// The server lost its script cache (restart, SCRIPT FLUSH, failover): EVAL also reloads it.
			if (!isNoScript(error)) throw error
			reply = await this.#client.sendCommand(['EVAL', CONSUME_SCRIPT, ...args])
		}
		if (!Array.isArray(reply) || reply.length !== 2) throw new Error('unexpected reply from the quota script')
		return { allowed: Number(reply[0]) === 1, used: Number(reply[1]) }
	}

	/** Run `onClose` (once). */
	close(): Promise<void> {
		this.#closed ??= this.#onClose?.() ?? Promise.resolve()
		return this.#closed
	}
}
