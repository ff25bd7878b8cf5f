import { createHash } from 'node:crypto'
import type { RedisCommandClient } from './client.js'

/** A Lua script and its SHA-1, for `EVALSHA`. */
export interface Script {
	readonly source: string
	readonly sha: string
}

function script(source: string): Script {
	return { source, sha: createHash('sha1').update(source).digest('hex') }
}

/**
 * Adds ARGV[1] to KEYS[1] unless the sum would pass ARGV[2], then sets the expiry (ARGV[3],
 * epoch seconds). Replies `{allowed, used}`. A denial or a read (cost 0) writes nothing.
 */
export const CONSUME = script(`local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local cost = tonumber(ARGV[1])
if used + cost > tonumber(ARGV[2]) then return {0, used} end
if cost == 0 then return {1, used} end
used = redis.call('INCRBY', KEYS[1], cost)
redis.call('EXPIREAT', KEYS[1], ARGV[3])
return {1, used}`)

/**
 * Adds ARGV[1] to every key of KEYS unless one of them would pass its limit (ARGV[2 + i] for
 * KEYS[i]), then sets their expiry (ARGV[2], epoch seconds). Replies `{allowed, used...}`, one
 * count per key in the order given. A denial or a read (cost 0) writes nothing; a key given twice
 * is counted once. The keys must all live on one node: on Redis Cluster, in one hash slot.
 */
export const CONSUME_ALL = script(`local cost = tonumber(ARGV[1])
local reply = {1}
for i, key in ipairs(KEYS) do
  local used = tonumber(redis.call('GET', key) or '0')
  reply[i + 1] = used
  if used + cost > tonumber(ARGV[i + 2]) then reply[1] = 0 end
end
if reply[1] == 0 or cost == 0 then return reply end
local done = {}
for i, key in ipairs(KEYS) do
  if not done[key] then
    done[key] = true
    redis.call('INCRBY', key, ARGV[1])
    redis.call('EXPIREAT', key, ARGV[2])
  end
  reply[i + 1] = reply[i + 1] + cost
end
return reply`)

/**
 * Reserves units for local use: at least ARGV[1] (the units the request needs), at most ARGV[2],
 * and, beyond what is needed, never more than half of the room left under the limit ARGV[3], so
 * that instances sharing a nearly used-up key leave room for each other. Sets the expiry (ARGV[4]).
 * Replies `{granted, counter}`; a denial (`granted` 0) writes nothing. Amounts are formatted as
 * integers because Lua would print large numbers in exponent notation.
 */
export const RESERVE = script(`local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local need = tonumber(ARGV[1])
local room = tonumber(ARGV[3]) - used
if need > room then return {0, used} end
local grant = math.max(need, math.min(tonumber(ARGV[2]), math.floor(room / 2)))
used = redis.call('INCRBY', KEYS[1], string.format('%d', grant))
redis.call('EXPIREAT', KEYS[1], ARGV[4])
return {grant, used}`)

/** Gives back ARGV[1] reserved units (never taking the counter below zero). Replies the counter. */
export const RELEASE = script(`local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local n = math.min(tonumber(ARGV[1]), used)
if n <= 0 then return used end
return redis.call('DECRBY', KEYS[1], string.format('%d', n))`)

function isNoScript(error: unknown): boolean {
	return error instanceof Error && error.message.startsWith('NOSCRIPT')
}

/** Run `script` on `keys` with `EVALSHA`, falling back to `EVAL` when the server has lost its script cache. */
export async function runScript(
	client: RedisCommandClient,
	{ source, sha }: Script,
	keys: readonly string[],
	args: readonly string[],
): Promise<unknown> {
	const rest = [String(keys.length), ...keys, ...args]
	try {
		return await client.sendCommand(['EVALSHA', sha, ...rest])
	} catch (error) {
		// The server lost its script cache (restart, SCRIPT FLUSH, failover): EVAL also reloads it.
		if (!isNoScript(error)) throw error
		return client.sendCommand(['EVAL', source, ...rest])
	}
}

/** The `length` integers a script replied with. */
export function integers(reply: unknown, length: number): number[] {
	if (!Array.isArray(reply) || reply.length !== length)
		throw new Error('unexpected reply from a quota script')
	return reply.map(Number)
}

/** The two integers the single-key scripts reply with. */
export function pair(reply: unknown): [number, number] {
	return integers(reply, 2) as [number, number]
}
