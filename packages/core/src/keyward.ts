import { createKeyCache, createSessionCache } from './cache.js'
import { KeywardError } from './errors.js'
import { EventHub, type KeywardEventName, type KeywardListener } from './events.js'
import { createExtractor, type ExtractSettings, extractSettings } from './extract.js'
import { createFailureLimiter } from './failure-limiter.js'
import { createKeyHasher, type Pepper } from './hash.js'
import { trackInvalidation } from './health.js'
import { keyPattern } from './key-format.js'
import {
	createKeyImporter,
	type ImportedKey,
	type ImportKeyInput,
	type ImportKeyOptions,
} from './key-import.js'
import { createLastUsedTracker } from './last-used.js'
import { resolveLegacyFormats } from './legacy-format.js'
import { createLifecycle } from './lifecycle.js'
import type { KeyLifecycle } from './lifecycle-types.js'
import { MemoryStore } from './memory-store.js'
import { createObservability, type Observability } from './observability.js'
import { type KeywardOptions, validateOptions } from './options.js'
import { createOwnerCache } from './owner-cache.js'
import { createOwnerLifecycle, type OwnerLifecycle } from './owner-lifecycle.js'
import { OWNER_PREFIX, ownerCounterId } from './owners.js'
import { createQuotaCalendar, type QuotaCalendar } from './quota-period.js'
import { createRejecter } from './rejections.js'
import { registerRequestPath } from './request-path.js'
import { createSessionLifecycle, type SessionLifecycle } from './session-lifecycle.js'
import { SESSION_PREFIX } from './session-records.js'
import { createStoreBoundary, isUsageCounter } from './store-boundary.js'
import type { KeyStore, UsageCounter } from './store-types.js'
import type { InvalidationChannel, KeyRecord, RequestLike, VerifyOptions, VerifyResult } from './types.js'
import { createVerifier } from './verify-pipeline.js'

/** A configured verifier with key management. Create one with {@link createKeyward}. */
export interface Keyward extends KeyLifecycle, OwnerLifecycle, SessionLifecycle, Observability {
	/**
	 * Extract the key from a request (see `extract` options), then {@link Keyward.verifyKey}. Never
	 * throws for request input, and never edits the request: what an adapter should hide from it
	 * (a key in the query) is in the result's `hide`.
	 */
	verify(req: RequestLike, options?: Readonly<VerifyOptions>): Promise<VerifyResult>
	/** Verify a key: format, lookup, revoked, expired, scopes, quota, in that order. */
	verifyKey(key: string, options?: Readonly<VerifyOptions>): Promise<VerifyResult>
	/**
	 * Store a key another system issued (its text, or only its SHA-256), so that it keeps working
	 * without being reissued; see {@link ImportKeyInput}. Throws `invalid_argument` for a key of no
	 * configured format or a malformed hash or hint, and `duplicate_key` for a key already stored.
	 * `options.dryRun` checks all of it and stores nothing.
	 * @example await keyward.importKey({ key: oldKey, owner: 'acme', scopes: ['read:*'] })
	 */
	importKey(input: Readonly<ImportKeyInput>, options?: Readonly<ImportKeyOptions>): Promise<ImportedKey>
	/**
	 * Forget what this instance caches about key `id`, owner `owner:<id>` or session `session:<id>`
	 * (called by invalidation channels).
	 */
	evict(id: string): void
	/** Remove the query credential from a URL (for copies of the URL an adapter keeps). */
	hideQueryCredentials(url: string): string
	/** Subscribe to an event; returns the unsubscribe function. */
	on<E extends KeywardEventName>(name: E, listener: KeywardListener<E>): () => void
	/** Regex matching this keyward's keys, for secret scanners and log scrubbers. */
	readonly keyPattern: RegExp
	/** Where this keyward reads keys (its `extract` option, defaults filled in), e.g. for `securitySchemes(keyward)`. */
	readonly extract: ExtractSettings
	/**
	 * Whether a `failureLimit` is configured.
	 * @deprecated adapters pass `client: (req) => req.ip`, which is read only when needed
	 */
	readonly limitsFailures: boolean
	/** Flush pending `lastUsedAt` writes and usage history, then close the store, counter and channel. */
	close(): Promise<void>
}

const NO_OPTIONS: Readonly<VerifyOptions> = Object.freeze({})

function pepperList(pepper: KeywardOptions['pepper']): Pepper[] {
	if (pepper === undefined) return []
	return typeof pepper === 'string' ? [{ version: 'p1', secret: pepper }] : [...pepper]
}

function quotaCalendar(options: KeywardOptions['quota']): QuotaCalendar {
	try {
		return createQuotaCalendar(options)
	} catch (error) {
		throw new KeywardError('invalid_option', `quota: ${(error as Error).message}`, { cause: error })
	}
}

/**
 * Create a keyward: a verifier plus key management over a store. Options are validated at once
 * (`KeywardError('invalid_option')`).
 * @example
 * const keyward = createKeyward({ store: new MemoryStore() })
 * const { key } = await keyward.createKey({ owner: 'acme', scopes: ['read:*'] })
 * const result = await keyward.verifyKey(key, { scopes: ['read:users'] })
 */
export function createKeyward(options: Readonly<KeywardOptions> = {}): Keyward {
	validateOptions(options)
	const now = options.now ?? (() => Date.now())
	const store: KeyStore = options.store ?? new MemoryStore()
	const usage: UsageCounter = options.usage ?? (isUsageCounter(store) ? store : new MemoryStore())
	const invalidation: InvalidationChannel | undefined = options.invalidation
	const prefix = options.prefix ?? 'kw'
	const environment = options.environment ?? null
	const hasher = createKeyHasher(pepperList(options.pepper))
	const legacy = resolveLegacyFormats(options.legacyFormats, prefix, environment)
	const extract = createExtractor(options.extract)
	const settings = extractSettings(options.extract)
	const cache = createKeyCache(options.cache ?? {}, now)
	const sessionCache = createSessionCache(options.cache ?? {}, now)
	const owners = createOwnerCache(options.cache ?? {})
	const calendar = quotaCalendar(options.quota)
	const limiter = options.failureLimit ? createFailureLimiter(options.failureLimit) : undefined
	const events = new EventHub()
	// The in-process store and counter cannot hang: they are spared a timer per call.
	const inProcess = store instanceof MemoryStore && usage instanceof MemoryStore
	const boundary = createStoreBoundary(options.storeTimeoutMs ?? 5000, inProcess)
	const reject = createRejecter(options.realm ?? 'api')
	const invalidationState = trackInvalidation()
	const observability = createObservability({
		store,
		usage,
		history: options.history,
		meter: options.meter,
		errorIntervalMs: options.errorIntervalMs ?? 60_000,
		boundary,
		events,
		cache,
		calendar,
		reject,
		invalidation: { configured: invalidation !== undefined, state: invalidationState },
		now,
	})
	const lastUsedMs = options.lastUsed === false ? false : (options.lastUsed?.intervalMs ?? 60_000)
	const lastUsed = createLastUsedTracker(store, observability.lastUsedFailed, lastUsedMs, boundary.guard)
	const verifier = createVerifier({
		store,
		usage,
		boundary,
		hasher,
		extract,
		prefix,
		environment,
		legacy,
		reject,
		cache,
		sessions: sessionCache,
		owners,
		calendar,
		limiter,
		lastUsed,
		observer: observability.observer,
		now,
		hideByDefault: options.hideCredentials ?? 'query',
		rateLimitHeaders: options.rateLimitHeaders !== false,
		credentialHeaders: [
			...(settings.schemes.length > 0 ? ['authorization'] : []),
			...settings.headers.map((h) => h.toLowerCase()),
		],
	})

	/**
	 * Forget what an announcement names: a key id, an owner (`owner:<id>`), a session
	 * (`session:<id>`), or everything (`null`).
	 */
	function forget(id: string | null): void {
		if (id === null) {
			cache.clear()
			owners.clear()
			sessionCache.clear()
		} else if (id.startsWith(OWNER_PREFIX)) owners.invalidate(id.slice(OWNER_PREFIX.length))
		else if (id.startsWith(SESSION_PREFIX)) sessionCache.deleteId(id.slice(SESSION_PREFIX.length))
		else cache.deleteId(id)
	}

	if (invalidation !== undefined) {
		Promise.resolve()
			.then(() => invalidation.subscribe(forget))
			.catch((error: unknown) => {
				invalidationState.subscribeFailed(error)
				events.emit('error', { error, during: 'invalidation' })
			})
	}

	function announce(id: string): void {
		invalidation?.publish(id).then(
			() => invalidationState.published(undefined),
			(error: unknown) => {
				invalidationState.published(error)
				events.emit('error', { error, during: 'invalidation' })
			},
		)
	}

	/** Key `record` changed: forget it here and tell the other instances. */
	function changed(record: KeyRecord): void {
		cache.delete(record.hash)
		cache.deleteId(record.id)
		announce(record.id)
	}

	const lifecycle = createLifecycle({
		store,
		usage,
		boundary,
		hasher,
		prefix,
		environment,
		lifetime: options.lifetime ?? {},
		calendar,
		events,
		now,
		changed,
		// This instance keeps answering `revoked` for a deleted key until the entry ages out;
		// after that (and on other instances) the store no longer knows it: `invalid`.
		deleted(record, nowMs) {
			cache.set(verifier.cacheEntry({ ...record, revokedAt: record.revokedAt ?? new Date(nowMs) }), nowMs)
		},
		legacyHashes: (text) =>
			legacy?.match(text) === undefined ? undefined : hasher.candidatesWithPlain(text),
	})

	const importKey = createKeyImporter({
		store,
		boundary,
		hasher,
		prefix,
		environment,
		legacy,
		lifetime: options.lifetime ?? {},
		events,
		now,
		// A key presented before it was imported is remembered as unknown for a moment: not any more.
		imported: (record) => cache.delete(record.hash),
	})

	const ownerLifecycle = createOwnerLifecycle({
		store,
		usage,
		boundary,
		calendar,
		events,
		now,
		changed(id) {
			owners.invalidate(id)
			announce(ownerCounterId(id))
		},
	})

	const sessionLifecycle = createSessionLifecycle({
		store,
		boundary,
		hasher,
		prefix,
		verifier,
		reject,
		events,
		now,
		options: options.sessions ?? {},
		ended(id) {
			sessionCache.deleteId(id)
			announce(`${SESSION_PREFIX}${id}`)
		},
	})

	const keyward: Keyward = {
		...lifecycle,
		...ownerLifecycle,
		...sessionLifecycle,
		importKey,
		...observability.api,
		async flush() {
			await Promise.all([lastUsed.flush(), observability.api.flush()])
		},
		verify: (req, verifyOptions = NO_OPTIONS) => verifier.verify(req, verifyOptions),
		verifyKey: (key, verifyOptions = NO_OPTIONS) => verifier.verifyKey(key, verifyOptions),
		evict: (id) => forget(id),
		hideQueryCredentials: extract.stripQuery,
		on(name, listener) {
			return events.on(name, listener)
		},
		keyPattern: keyPattern(prefix),
		extract: settings,
		limitsFailures: limiter !== undefined,
		async close() {
			await Promise.all([lastUsed.close(), observability.close()])
			const closers = [
				store.close?.(),
				(usage as unknown) !== store ? usage.close?.() : undefined,
				invalidation?.close?.(),
			]
			const results = await Promise.allSettled(closers)
			for (const r of results)
				if (r.status === 'rejected') events.emit('error', { error: r.reason, during: 'close' })
		},
	}
	registerRequestPath(keyward, verifier.verifyNow)
	return keyward
}
