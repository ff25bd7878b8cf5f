import { KeywardError } from './errors.js'
import type { UsageHistoryStore } from './history-types.js'
import type { KeyStore, UsageCounter } from './store-types.js'
import type { InvalidationChannel } from './types.js'

/** The methods every {@link KeyStore} has (`listAudit` and `close` are optional). */
export const KEY_STORE_METHODS = [
	'create',
	'findByHash',
	'findById',
	'findByIdPrefix',
	'findByHint',
	'list',
	'update',
	'revoke',
	'revokeAll',
	'rotate',
	'delete',
	'purgeInactive',
	'getOwner',
	'setOwner',
	'listOwners',
	'createSession',
	'findSessionByHash',
	'deleteSession',
] as const satisfies readonly (keyof KeyStore)[]

/** The methods of a {@link UsageHistoryStore}: a store has all of them or none. */
export const USAGE_HISTORY_METHODS = [
	'recordUsage',
	'readUsage',
	'pruneUsage',
] as const satisfies readonly (keyof UsageHistoryStore)[]

const USAGE_COUNTER_METHODS = ['consume'] as const satisfies readonly (keyof UsageCounter)[]
const CHANNEL_METHODS = ['publish', 'subscribe'] as const satisfies readonly (keyof InvalidationChannel)[]

function fail(message: string): never {
	throw new KeywardError('invalid_option', message)
}

function missing(value: object, methods: readonly string[]): string[] {
	return methods.filter((name) => typeof (value as Record<string, unknown>)[name] !== 'function')
}

/** What `value` seems to be instead, for the message: the usual mistakes with database clients. */
function hint(value: object): string {
	const has = (name: string) => typeof (value as Record<string, unknown>)[name] === 'function'
	if (has('query'))
		return ' (it looks like a database client: wrap it in new PostgresStore({ client }) from @keyward/postgres)'
	if (has('sendCommand') || has('evalsha') || has('eval'))
		return ' (it looks like a Redis client: @keyward/redis gives a UsageCounter for the usage option; keys need a KeyStore)'
	return ''
}

/** Check that `value`, the option `name`, is an object with `methods`; `kind` names the interface. */
function checkShape(value: unknown, name: string, kind: string, methods: readonly string[]): void {
	if (value === undefined) return
	if ((typeof value !== 'object' && typeof value !== 'function') || value === null) {
		fail(`${name} must be a ${kind} (an object with ${methods.join(', ')})`)
	}
	const absent = missing(value, methods)
	if (absent.length > 0) {
		const noun = absent.length === 1 ? 'method' : 'methods'
		fail(`${name} is missing ${kind} ${noun}: ${absent.join(', ')}${hint(value)}`)
	}
}

/**
 * Refuse, at start-up, stores, counters and channels that lack a method keyward calls, naming the
 * methods: otherwise the first request would find out, as a 503 with no word of why.
 */
export function checkStoreShapes(options: {
	readonly store?: unknown
	readonly usage?: unknown
	readonly invalidation?: unknown
	readonly history?: unknown
}): void {
	checkShape(options.store, 'store', 'KeyStore', KEY_STORE_METHODS)
	const store = options.store as object | undefined
	if (store !== undefined) {
		const absent = missing(store, USAGE_HISTORY_METHODS)
		if (absent.length > 0 && absent.length < USAGE_HISTORY_METHODS.length) {
			fail(`store is missing UsageHistoryStore methods: ${absent.join(', ')} (give all three or none)`)
		}
	}
	checkShape(options.usage, 'usage', 'UsageCounter', USAGE_COUNTER_METHODS)
	checkShape(options.invalidation, 'invalidation', 'InvalidationChannel', CHANNEL_METHODS)
	const history = options.history as { store?: unknown } | false | undefined
	if (typeof history === 'object' && history !== null) {
		checkShape(history.store, 'history.store', 'UsageHistoryStore', USAGE_HISTORY_METHODS)
	}
}
