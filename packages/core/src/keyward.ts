import { type CachedKey, createKeyCache } from './cache.js'
import { KeywardError } from './errors.js'
import { EventHub, type KeywardEventName, type KeywardListener } from './events.js'
import { createExtractor } from './extract.js'
import { createFailureLimiter } from './failure-limiter.js'
import { createKeyHasher, type Pepper, safeEqual } from './hash.js'
import { keyEnvironment, keyPattern } from './key-format.js'
import { createLastUsedTracker } from './last-used.js'
import { createLifecycle, type KeyLifecycle } from './lifecycle.js'
import { MemoryStore } from './memory-store.js'
import { type KeywardOptions, validateOptions } from './options.js'
import { createQuotaCalendar, type QuotaPeriod } from './quota-period.js'
import { isRecord, toInfo } from './records.js'
import { createRejecter } from './rejections.js'
import { hasScopes } from './scopes.js'
import { createStoreBoundary, isConsumeResult, isThenable, isUsageCounter } from './store-boundary.js'
import type {
	InvalidationChannel,
	KeyRecord,
	KeyStore,
	RequestLike,
	UsageCounter,
	VerifyOptions,
	VerifyResult,
	VerifySuccess,
} from './types.js'

/** A configured verifier with key management. Create one with {@link createKeyward}. */
export interface Keyward extends KeyLifecycle {
	/** Extract the key from a request (see `extract` options), then {@link Keyward.verifyKey}. Never throws for request input. */
	verify(req: RequestLike, options?: Readonly<VerifyOptions>): Promise<VerifyResult>
	/** Verify a key: format, lookup, revoked, expired, scopes, quota, in that order. */
	verifyKey(key: string, options?: Readonly<VerifyOptions>): Promise<VerifyResult>
	/** Forget what this instance caches about key `id` (called by invalidation channels). */
	evict(id: string): void
	/** Remove the query credential from a URL (for `originalUrl`-style copies adapters keep). */
	hideQueryCredentials(url: string): string
	/** Subscribe to an event; returns the unsubscribe function. */
	on<E extends KeywardEventName>(name: E, listener: KeywardListener<E>): () => void
	/** Regex matching this keyward's keys, for secret scanners and log scrubbers. */
	readonly keyPattern: RegExp
	/** Whether a `failureLimit` is configured: adapters then pass the client address to `verify`. */
	readonly limitsFailures: boolean
	/** Flush pending `lastUsedAt` writes and close the store, counter and channel. */
	close(): Promise<void>
}

const EMPTY_HEADERS: Readonly<Record<string, string>> = Object.freeze({})
const NO_OPTIONS: Readonly<VerifyOptions> = Object.freeze({})

/** Delete a header from `headers` and from Node's second copy, `rawHeaders`, which loggers may print. */
function dropHeader(req: RequestLike, name: string): void {
	delete req.headers[name]
	const raw = req.rawHeaders
	if (!Array.isArray(raw)) return
	const kept: string[] = []
	for (let i = 0; i < raw.length; i += 2) {
		if ((raw[i] as string).toLowerCase() !== name) kept.push(raw[i] as string, raw[i + 1] as string)
	}
	if (kept.length !== raw.length) req.rawHeaders = kept
}

/** Run a step that answers with a promise but may throw first (invalid options): the throw becomes a rejection. */
function promised<A>(
	step: (arg: A, options: Readonly<VerifyOptions>) => Promise<VerifyResult>,
	arg: A,
	options: Readonly<VerifyOptions>,
): Promise<VerifyResult> {
	try {
		return step(arg, options)
	} catch (error) {
		return Promise.reject(error)
	}
}

/**
 * Create a keyward: a verifier plus key management over a store.
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
	const peppers: Pepper[] =
		options.pepper === undefined
			? []
			: typeof options.pepper === 'string'
				? [{ version: 'p1', secret: options.pepper }]
				: [...options.pepper]
	const hasher = createKeyHasher(peppers)
	const extract = createExtractor(options.extract)
	/** Every header that can carry a key, dropped from ambiguous requests under `hideCredentials: true`. */
	const credentialHeaders = [
		...((options.extract?.schemes ?? ['Apikey']).length > 0 ? ['authorization'] : []),
		...(options.extract?.headers ?? ['x-api-key']).map((h) => h.toLowerCase()),
	]
	const defaultHide = options.hideCredentials ?? 'query'
	const reject = createRejecter(options.realm ?? 'api')
	const cache = createKeyCache(options.cache ?? {}, now)
	const timeoutMs = options.storeTimeoutMs ?? 5000
	const lifetime = options.lifetime ?? {}
	let calendar: ReturnType<typeof createQuotaCalendar>
	try {
		calendar = createQuotaCalendar(options.quota)
	} catch (error) {
		throw new KeywardError('invalid_option', `quota: ${(error as Error).message}`, { cause: error })
	}
	const limiter = options.failureLimit ? createFailureLimiter(options.failureLimit) : undefined
	const inProcess = store instanceof MemoryStore && usage instanceof MemoryStore
	const events = new EventHub()
	const inflight = new Map<string, Promise<CachedKey | null>>()
	const boundary = createStoreBoundary(timeoutMs, inProcess)
	const guard = boundary.guard

	const lastUsed = createLastUsedTracker(
		store,
		events,
		options.lastUsed === false ? false : (options.lastUsed?.intervalMs ?? 60_000),
		guard,
	)

	if (invalidation !== undefined) {
		Promise.resolve()
			.then(() => invalidation.subscribe((id) => (id === null ? cache.clear() : cache.deleteId(id))))
			.catch((error: unknown) => events.emit('error', { error, during: 'invalidation' }))
	}

	function cached(record: KeyRecord): CachedKey {
		const info = toInfo(record)
		const success: VerifySuccess = Object.freeze({ ok: true, key: info, headers: EMPTY_HEADERS })
		return { hash: record.hash, info, success, freshUntil: 0, policy: undefined, policyPeriod: 0 }
	}

	async function lookup(key: string): Promise<CachedKey | null> {
		for (const hash of hasher.candidates(key)) {
			const record: unknown = await guard(store.findByHash(hash))
			if (record === null || record === undefined) continue
			// A store answering with a row that is not this key, or not a record at all, is a failing store.
			if (!isRecord(record) || !safeEqual(record.hash, hash))
				throw new Error('store returned an invalid record')
			return cached(record)
		}
		return null
	}

	function load(key: string, hash: string, nowMs: number): Promise<CachedKey | null> {
		let pending = inflight.get(hash)
		if (pending === undefined) {
			pending = lookup(key)
				.then((entry) => {
					if (entry === null) cache.setUnknown(hash)
					else cache.set(entry, nowMs)
					return entry
				})
				.finally(() => inflight.delete(hash))
			inflight.set(hash, pending)
		}
		return pending
	}

	/**
	 * The request path. Everything up to the quota runs synchronously on a cached key, so a
	 * verification settles without a promise of its own unless the store or counter has to be asked.
	 */
	function decide(
		key: string,
		scopes: readonly string[] | undefined,
		cost: number,
	): VerifyResult | Promise<VerifyResult> {
		const keyEnv = keyEnvironment(key, prefix)
		if (keyEnv === false) return reject('malformed')
		if (keyEnv !== environment) return reject('wrong_environment')
		const nowMs = now()
		const hash = hasher.hash(key)
		const entry = cache.get(hash, nowMs)
		if (entry !== undefined) return check(entry, scopes, cost, nowMs)
		return load(key, hash, nowMs).then(
			(loaded) => check(loaded, scopes, cost, nowMs),
			() => reject('unavailable'),
		)
	}

	/** Revoked, expired, scopes, then quota, for a looked-up key (`null`: unknown). */
	function check(
		entry: CachedKey | null,
		scopes: readonly string[] | undefined,
		cost: number,
		nowMs: number,
	): VerifyResult | Promise<VerifyResult> {
		if (entry === null) return reject('invalid')
		const info = entry.info
		if (info.revokedAt !== null && info.revokedAt.getTime() <= nowMs)
			return reject('revoked', undefined, info.id)
		if (info.expiresAt !== null && nowMs >= info.expiresAt.getTime())
			return reject('expired', undefined, info.id)
		if (scopes !== undefined && scopes.length > 0 && !hasScopes(info.scopes, scopes)) {
			return reject('insufficient_scope', undefined, info.id)
		}
		const limit = info.monthlyQuota
		if (limit === null) {
			lastUsed.touch(info.id, nowMs)
			return entry.success
		}
		const period = calendar(nowMs)
		let consumed: unknown
		try {
			consumed = usage.consume(info.familyId, period.id, cost, limit)
		} catch {
			return reject('unavailable', undefined, info.id)
		}
		// A counter that could count without I/O answered at once: so does keyward.
		if (isConsumeResult(consumed)) return quotaAnswer(entry, consumed, limit, period, nowMs)
		if (!isThenable(consumed)) return reject('unavailable', undefined, info.id)
		return guard(consumed).then(
			(counted: unknown) =>
				isConsumeResult(counted)
					? quotaAnswer(entry, counted, limit, period, nowMs)
					: reject('unavailable', undefined, info.id),
			() => reject('unavailable', undefined, info.id),
		)
	}

	/** The answer once the counter has spoken. */
	function quotaAnswer(
		entry: CachedKey,
		consumed: { allowed: boolean; used: number },
		limit: number,
		period: QuotaPeriod,
		nowMs: number,
	): VerifyResult {
		const info = entry.info
		const remaining = Math.max(0, limit - consumed.used)
		const resetMs = period.resetAt.getTime()
		const startMs = period.startsAt.getTime()
		// The policy only changes with the key's limit or the period: made once, not per request.
		if (entry.policy === undefined || entry.policyPeriod !== startMs) {
			const window = Math.round((resetMs - startMs) / 1000)
			entry.policy = `"monthly";q=${limit};w=${window}`
			entry.policyPeriod = startMs
		}
		const reset = Math.max(0, Math.ceil((resetMs - nowMs) / 1000))
		const headers: Record<string, string> = {
			'RateLimit-Policy': entry.policy,
			RateLimit: `"monthly";r=${remaining};t=${reset}`,
		}
		if (!consumed.allowed) {
			headers['Retry-After'] = String(Math.max(1, Math.ceil((resetMs - nowMs) / 1000)))
			return reject('quota_exceeded', headers, info.id)
		}
		lastUsed.touch(info.id, nowMs)
		return { ok: true, key: info, quota: { limit, remaining, resetAt: period.resetAt }, headers }
	}

	function verifyKey(
		key: string,
		verifyOptions: Readonly<VerifyOptions> = NO_OPTIONS,
	): Promise<VerifyResult> {
		return promised(settle, key, verifyOptions)
	}

	function settle(key: string, verifyOptions: Readonly<VerifyOptions>): Promise<VerifyResult> {
		const cost = verifyOptions.cost ?? 1
		if (cost !== 1 && (!Number.isSafeInteger(cost) || cost < 0)) {
			throw new KeywardError('invalid_argument', 'cost must be a non-negative integer')
		}
		const client = limiter === undefined ? undefined : verifyOptions.client
		const blocked = client === undefined ? undefined : throttled(client)
		if (blocked !== undefined) return Promise.resolve(blocked)
		const timed = events.has('request.verified') || events.has('request.rejected')
		const started = timed ? performance.now() : 0
		const outcome = decide(typeof key === 'string' ? key : '', verifyOptions.scopes, cost)
		if (client === undefined && !timed) return Promise.resolve(outcome)
		const finish = (result: VerifyResult): VerifyResult => {
			if (client !== undefined && !result.ok) limiter?.record(client, result.code, now())
			if (timed) report(result, performance.now() - started)
			return result
		}
		return outcome instanceof Promise ? outcome.then(finish) : Promise.resolve(finish(outcome))
	}

	/** The refusal for a client over its failure limit, or `undefined` when it may try. */
	function throttled(client: string): VerifyResult | undefined {
		const waitMs = limiter?.blockedFor(client, now()) ?? 0
		if (waitMs === 0) return undefined
		const result = reject('too_many_failures', {
			'Retry-After': String(Math.max(1, Math.ceil(waitMs / 1000))),
		})
		if (events.has('request.rejected')) report(result, 0)
		return result
	}

	function report(result: VerifyResult, latencyMs: number): void {
		if (result.ok) events.emit('request.verified', { key: result.key, latencyMs })
		else
			events.emit('request.rejected', {
				code: result.code,
				status: result.status,
				keyId: result.keyId ?? null,
				latencyMs,
			})
	}

	function verify(
		req: RequestLike,
		verifyOptions: Readonly<VerifyOptions> = NO_OPTIONS,
	): Promise<VerifyResult> {
		return promised(verifyRequest, req, verifyOptions)
	}

	function verifyRequest(req: RequestLike, verifyOptions: Readonly<VerifyOptions>): Promise<VerifyResult> {
		const found = extract(req)
		const hide = verifyOptions.hideCredentials ?? defaultHide
		if (hide !== false && found.kind !== 'none' && typeof req.url === 'string') {
			const stripped = extract.stripQuery(req.url)
			if (stripped !== req.url) req.url = stripped
		}
		if (hide === true && (found.kind === 'key' || found.kind === 'malformed')) {
			const name = found.source === 'authorization' ? 'authorization' : found.header
			if (name !== undefined) dropHeader(req, name)
		}
		if (hide === true && found.kind === 'ambiguous') {
			for (const name of credentialHeaders) if (req.headers[name] !== undefined) dropHeader(req, name)
		}
		if (found.kind === 'key') return settle(found.key, verifyOptions)
		const client = limiter === undefined || found.kind === 'none' ? undefined : verifyOptions.client
		const blocked = client === undefined ? undefined : throttled(client)
		if (blocked !== undefined) return Promise.resolve(blocked)
		const result = reject(found.kind === 'none' ? 'missing' : found.kind)
		if (client !== undefined) limiter?.record(client, result.code, now())
		if (events.has('request.rejected')) report(result, 0)
		return Promise.resolve(result)
	}

	function changed(record: KeyRecord): void {
		cache.delete(record.hash)
		cache.deleteId(record.id)
		if (invalidation !== undefined) {
			invalidation
				.publish(record.id)
				.catch((error: unknown) => events.emit('error', { error, during: 'invalidation' }))
		}
	}

	const lifecycle = createLifecycle({
		store,
		usage,
		boundary,
		hasher,
		prefix,
		environment,
		lifetime,
		calendar,
		events,
		now,
		changed,
		// This instance keeps answering `revoked` for a deleted key until the entry ages out;
		// after that (and on other instances) the store no longer knows it: `invalid`.
		deleted(record, nowMs) {
			cache.set(cached({ ...record, revokedAt: record.revokedAt ?? new Date(nowMs) }), nowMs)
		},
	})

	return {
		verify,
		verifyKey,
		...lifecycle,
		evict(id) {
			cache.deleteId(id)
		},
		hideQueryCredentials(url) {
			return extract.stripQuery(url)
		},
		on(name, listener) {
			return events.on(name, listener)
		},
		keyPattern: keyPattern(prefix),
		limitsFailures: limiter !== undefined,
		async close() {
			await lastUsed.close()
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
}
