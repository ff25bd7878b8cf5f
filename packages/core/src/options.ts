import type { CacheOptions } from './cache-options.js'
import { KeywardError } from './errors.js'
import type { ExtractOptions } from './extract.js'
import type { FailureLimitOptions } from './failure-limiter.js'
import type { Pepper } from './hash.js'
import type { HistoryOptions } from './history-types.js'
import { LABEL_PATTERN } from './key-format.js'
import type { LegacyFormatOption } from './legacy-format.js'
import type { LifetimePolicy } from './lifetime.js'
import { isMeter, type KeywardMeter } from './metrics.js'
import { unknownOptionMessage } from './option-names.js'
import type { QuotaPeriodOptions } from './quota-period.js'
import type { SessionOptions } from './session-types.js'
import { checkStoreShapes } from './store-shape.js'
import type { KeyStore, UsageCounter } from './store-types.js'
import type { HideCredentials, InvalidationChannel } from './types.js'

/** Options of `createKeyward`. Unknown or invalid options throw `KeywardError('invalid_option')`. */
export interface KeywardOptions {
	/** Where key records live. @defaultValue a new `MemoryStore` */
	store?: KeyStore | undefined
	/** Quota counters. @defaultValue `store` when it is also a `UsageCounter`, else a `MemoryStore` */
	usage?: UsageCounter | undefined
	/** Cross-instance cache invalidation; without one, changes made elsewhere show after `cache.ttlMs`. */
	invalidation?: InvalidationChannel | undefined
	/** Key prefix: lowercase letters and digits, starting with a letter, no `_`. @defaultValue 'kw' */
	prefix?: string | undefined
	/**
	 * Environment marker put into new keys (`kw_live_...`). A verifier with an environment refuses
	 * keys of another environment (or none) with `wrong_environment`. @defaultValue none
	 */
	environment?: string | undefined
	/** Where keys are read from. */
	extract?: ExtractOptions | undefined
	/** Default of `VerifyOptions.hideCredentials`. @defaultValue 'query' */
	hideCredentials?: HideCredentials | undefined
	/** Record cache; `false` reads the store on every request. */
	cache?: CacheOptions | false | undefined
	/**
	 * Server-side secret for HMAC-SHA-256 hashes. A list rotates: the first signs new keys, the
	 * others still verify older ones. @defaultValue none (plain SHA-256)
	 */
	pepper?: string | readonly Pepper[] | undefined
	/** How quota periods are cut. @defaultValue calendar months in UTC */
	quota?: QuotaPeriodOptions | undefined
	/** Realm in `WWW-Authenticate`. @defaultValue 'api' */
	realm?: string | undefined
	/** `lastUsedAt` writes, coalesced per key; `false` turns tracking off. */
	lastUsed?: { intervalMs?: number | undefined } | false | undefined
	/** Key lifetime policy for `createKey` and `rotateKey`. */
	lifetime?: LifetimePolicy | undefined
	/**
	 * Refuse clients (by IP, as the adapter reports it) that keep presenting bad keys, with
	 * `429 too_many_failures`, until their window ends. @defaultValue false (off)
	 */
	failureLimit?: FailureLimitOptions | false | undefined
	/** A store call slower than this counts as a failure (503). @defaultValue 5000 */
	storeTimeoutMs?: number | undefined
	/**
	 * Sessions started by logging in with a key (`createSession`): their longest lifetime and how
	 * many a key may have at once. @defaultValue `{ maxLifetimeMs: 30 days, maxPerKey: 100 }`
	 */
	sessions?: SessionOptions | undefined
	/**
	 * Usage history: verifications counted per key and outcome by the hour, written in batches to
	 * the store when it keeps history (`MemoryStore` and `PostgresStore` do). `false` records
	 * nothing (what the store keeps can still be read). @defaultValue on, when the store keeps history
	 */
	history?: HistoryOptions | false | undefined
	/**
	 * An OpenTelemetry `Meter` (`metrics.getMeter('@keyward/core')` of `@opentelemetry/api`) to
	 * record verifications, their duration, cache lookups and store errors on. @defaultValue none
	 */
	meter?: KeywardMeter | undefined
	/**
	 * Store and counter failures on the request path (`during: 'verify'`), and failed usage history
	 * (`'history'`) and `lastUsedAt` (`'last_used'`) writes, are reported through the `error` event
	 * at most once per this interval each; the next event counts the ones in between.
	 * @defaultValue 60000
	 */
	errorIntervalMs?: number | undefined
	/** Clock in epoch milliseconds, for tests. @defaultValue Date.now */
	now?: (() => number) | undefined
	/**
	 * Key formats of other systems to accept, for keys brought in with `importKey`: `'hex'`, a
	 * `RegExp` for the whole key, or `{ name, pattern, hintLength }`. Text of such a format that
	 * is not a keyward key goes to the store instead of being refused as `malformed` (it has no
	 * checksum; 16 to 256 printable characters). Such keys carry no environment marker: every
	 * keyward configured with the format accepts them, whatever its `environment`. Patterns that
	 * match the empty string, keyward keys or arbitrary text are refused at start-up.
	 * @defaultValue none: only keyward keys
	 */
	legacyFormats?: readonly LegacyFormatOption[] | undefined
	/**
	 * Whether requests let through carry the IETF RateLimit headers of their key's quota. `false`
	 * leaves them off successful answers (their `quota` is still in the result; writing the two
	 * headers is most of what keyward costs per request); refusals (`429`) always carry them with
	 * `Retry-After`. For a service whose clients never read its answers directly, such as one behind
	 * a gateway that sends its own. @defaultValue true
	 */
	rateLimitHeaders?: boolean | undefined
}

const KNOWN: Record<keyof KeywardOptions, true> = {
	store: true,
	usage: true,
	invalidation: true,
	prefix: true,
	environment: true,
	extract: true,
	hideCredentials: true,
	cache: true,
	pepper: true,
	quota: true,
	realm: true,
	lastUsed: true,
	lifetime: true,
	storeTimeoutMs: true,
	failureLimit: true,
	sessions: true,
	history: true,
	meter: true,
	errorIntervalMs: true,
	now: true,
	legacyFormats: true,
	rateLimitHeaders: true,
}

/**
 * Throw `KeywardError('invalid_option')` for an option name not in `known`, suggesting the closest
 * one. Adapters and stores use it so that a typo fails at start-up.
 * @example rejectUnknownOptions(options, ['optional', 'scopes'], 'apiKeyAuth options')
 */
export function rejectUnknownOptions(options: object, known: readonly string[], where: string): void {
	const message = unknownOptionMessage(options, known, where)
	if (message !== undefined) throw new KeywardError('invalid_option', message)
}

function fail(message: string): never {
	throw new KeywardError('invalid_option', message)
}

function positive(value: number | undefined, name: string, allowZero = false): void {
	if (value === undefined) return
	if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
		fail(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} finite number`)
	}
}

/** Validate options eagerly so misconfiguration fails at start-up, not on the first request. */
export function validateOptions(options: Readonly<KeywardOptions>): void {
	if (typeof options !== 'object' || options === null) fail('createKeyward expects an options object')
	rejectUnknownOptions(options, Object.keys(KNOWN), 'createKeyward options')
	const { prefix, environment, pepper, realm, cache, lastUsed, lifetime, extract, hideCredentials } = options
	if (prefix !== undefined && (typeof prefix !== 'string' || !LABEL_PATTERN.test(prefix))) {
		fail('prefix must be 1-16 lowercase letters or digits, starting with a letter (no "_")')
	}
	if (environment !== undefined && (typeof environment !== 'string' || !LABEL_PATTERN.test(environment))) {
		fail('environment must be 1-16 lowercase letters or digits, starting with a letter (no "_")')
	}
	if (typeof pepper === 'string' && pepper.length === 0) fail('pepper must not be empty')
	if (Array.isArray(pepper)) {
		if (pepper.length === 0) fail('pepper list must not be empty')
		const seen = new Set<string>()
		for (const p of pepper as readonly Pepper[]) {
			if (typeof p?.version !== 'string' || !/^[A-Za-z0-9]{1,16}$/.test(p.version)) {
				fail('pepper version must be 1-16 letters or digits')
			}
			if (typeof p.secret !== 'string' || p.secret.length === 0) fail('pepper secret must not be empty')
			if (seen.has(p.version)) fail('pepper versions must be unique')
			seen.add(p.version)
		}
	}
	if (realm !== undefined && (typeof realm !== 'string' || realm.length === 0 || /[\r\n]/.test(realm))) {
		fail('realm must be a non-empty single-line string')
	}
	if (hideCredentials !== undefined && hideCredentials !== 'query' && typeof hideCredentials !== 'boolean') {
		fail('hideCredentials must be "query", true or false')
	}
	if (options.rateLimitHeaders !== undefined && typeof options.rateLimitHeaders !== 'boolean') {
		fail('rateLimitHeaders must be true or false')
	}
	if (cache !== undefined && cache !== false) {
		rejectUnknownOptions(cache, ['max', 'ttlMs', 'negativeTtlMs'], 'cache options')
		positive(cache.max, 'cache.max')
		positive(cache.ttlMs, 'cache.ttlMs')
		positive(cache.negativeTtlMs, 'cache.negativeTtlMs', true)
	}
	if (lastUsed !== undefined && lastUsed !== false) {
		rejectUnknownOptions(lastUsed, ['intervalMs'], 'lastUsed options')
		positive(lastUsed.intervalMs, 'lastUsed.intervalMs')
	}
	if (lifetime !== undefined) {
		rejectUnknownOptions(lifetime, ['defaultMs', 'maxMs'], 'lifetime options')
		positive(lifetime.defaultMs, 'lifetime.defaultMs')
		positive(lifetime.maxMs, 'lifetime.maxMs')
		if (
			lifetime.defaultMs !== undefined &&
			lifetime.maxMs !== undefined &&
			lifetime.defaultMs > lifetime.maxMs
		) {
			fail('lifetime.defaultMs must not exceed lifetime.maxMs')
		}
	}
	positive(options.storeTimeoutMs, 'storeTimeoutMs')
	const { failureLimit } = options
	if (failureLimit !== undefined && failureLimit !== false) {
		rejectUnknownOptions(failureLimit, ['max', 'windowMs', 'maxClients'], 'failureLimit options')
		positive(failureLimit.max, 'failureLimit.max')
		positive(failureLimit.windowMs, 'failureLimit.windowMs')
		positive(failureLimit.maxClients, 'failureLimit.maxClients')
	}
	const { sessions } = options
	if (sessions !== undefined) {
		if (typeof sessions !== 'object' || sessions === null) fail('sessions must be an object')
		rejectUnknownOptions(sessions, ['maxLifetimeMs', 'maxPerKey'], 'sessions options')
		if (
			sessions.maxLifetimeMs !== undefined &&
			(!Number.isSafeInteger(sessions.maxLifetimeMs) || sessions.maxLifetimeMs < 1000)
		)
			fail('sessions.maxLifetimeMs must be an integer of at least 1000')
		if (
			sessions.maxPerKey !== undefined &&
			(!Number.isSafeInteger(sessions.maxPerKey) || sessions.maxPerKey < 1)
		)
			fail('sessions.maxPerKey must be a positive integer')
	}
	if (extract !== undefined) {
		rejectUnknownOptions(extract, ['schemes', 'headers', 'query'], 'extract options')
		const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
		for (const s of extract.schemes ?? []) if (!token.test(s)) fail('extract.schemes must be HTTP tokens')
		for (const h of extract.headers ?? [])
			if (!token.test(h)) fail('extract.headers must be HTTP header names')
		if (
			extract.query !== undefined &&
			extract.query !== false &&
			(typeof extract.query !== 'string' || !/^[A-Za-z0-9_.\-~]{1,64}$/.test(extract.query))
		) {
			fail('extract.query must be a plain parameter name or false')
		}
	}
	if (options.now !== undefined && typeof options.now !== 'function') fail('now must be a function')
	checkObservability(options)
	checkStoreShapes(options)
}

/** The options of usage history, metrics and error reports. */
function checkObservability(options: Readonly<KeywardOptions>): void {
	const { history } = options
	if (history !== undefined && history !== false) {
		if (typeof history !== 'object' || history === null) fail('history must be an options object or false')
		rejectUnknownOptions(
			history,
			['flushIntervalMs', 'retentionDays', 'maxPending', 'store'],
			'history options',
		)
		positive(history.flushIntervalMs, 'history.flushIntervalMs')
		positive(history.retentionDays, 'history.retentionDays')
		positive(history.maxPending, 'history.maxPending')
	}
	if (options.meter !== undefined && !isMeter(options.meter)) {
		fail('meter must be an OpenTelemetry Meter (with createCounter and createHistogram)')
	}
	positive(options.errorIntervalMs, 'errorIntervalMs', true)
}
