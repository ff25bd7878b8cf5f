import { type CachedKey, createKeyCache } from './cache.js'
import { KeywardError } from './errors.js'
import { EventHub, type KeywardEventName, type KeywardListener } from './events.js'
import { createExtractor } from './extract.js'
import { createFailureLimiter } from './failure-limiter.js'
import { createKeyHasher, type Pepper, safeEqual } from './hash.js'
import { generateId, generateKey, keyEnvironment, keyPattern, parseKey } from './key-format.js'
import { createLastUsedTracker } from './last-used.js'
import { MemoryStore } from './memory-store.js'
import { type KeywardOptions, validateOptions } from './options.js'
import { createQuotaCalendar, type QuotaPeriod } from './quota-period.js'
import { checkMetadata, checkQuota, checkScopeList, checkText, isRecord, toInfo } from './records.js'
import { createRejecter } from './rejections.js'
import { hasScopes } from './scopes.js'
import type {
	ConsumeResult,
	InvalidationChannel,
	KeyInfo,
	KeyPatch,
	KeyRecord,
	KeyStore,
	RequestLike,
	UsageCounter,
	VerifyOptions,
	VerifyResult,
	VerifySuccess,
} from './types.js'

/** Input of {@link Keyward.createKey}. */
export interface CreateKeyInput {
	/** Who the key belongs to. */
	owner: string
	name?: string | null | undefined
	note?: string | null | undefined
	/** Granted scopes. @defaultValue [] (grants nothing) */
	scopes?: readonly string[] | undefined
	/** Absolute expiry; exclusive with `expiresIn`. `null`: never (if the lifetime policy allows). */
	expiresAt?: Date | null | undefined
	/** Lifetime in milliseconds; exclusive with `expiresAt`. @defaultValue `lifetime.defaultMs`, else never */
	expiresIn?: number | undefined
	/** Requests per quota period; `null` is unlimited. @defaultValue null */
	monthlyQuota?: number | null | undefined
	metadata?: Readonly<Record<string, unknown>> | undefined
}

/** A new key: `key` is the only copy of the secret and is never stored. */
export interface CreatedKey {
	key: string
	info: KeyInfo
}

/** Result of {@link Keyward.rotateKey}. */
export interface RotatedKey extends CreatedKey {
	/** The old key as it is after the rotation (expiring at the end of the grace period, or revoked). */
	previous: KeyInfo
}

/** Options of {@link Keyward.rotateKey}. */
export interface RotateKeyOptions {
	/** How long the old key keeps working. @defaultValue 0 (revoked at once) */
	graceMs?: number | undefined
}

/** Changes accepted by {@link Keyward.updateKey}. */
export type UpdateKeyInput = Pick<
	KeyPatch,
	'name' | 'note' | 'scopes' | 'expiresAt' | 'monthlyQuota' | 'metadata'
>

/** Usage of one key in the current quota period. */
export interface KeyUsage {
	/** Period id, e.g. `'2026-11'`. */
	period: string
	used: number
	/** `null` when the key has no quota. */
	limit: number | null
	remaining: number | null
	resetAt: Date
}

/** A configured verifier with key management. Create one with {@link createKeyward}. */
export interface Keyward {
	/** Extract the key from a request (see `extract` options), then {@link Keyward.verifyKey}. Never throws for request input. */
	verify(req: RequestLike, options?: Readonly<VerifyOptions>): Promise<VerifyResult>
	/** Verify a key: format, lookup, revoked, expired, scopes, quota, in that order. */
	verifyKey(key: string, options?: Readonly<VerifyOptions>): Promise<VerifyResult>
	/** Create a key; the returned `key` is the only time its text is available. */
	createKey(input: Readonly<CreateKeyInput>): Promise<CreatedKey>
	/** Keys of `owner` (every key without one), newest first, revoked ones included. */
	listKeys(query?: { owner?: string | undefined }): Promise<KeyInfo[]>
	/** One key by id, unambiguous id prefix (4+ characters) or full key; throws `key_not_found`. */
	getKey(idOrKey: string): Promise<KeyInfo>
	/** Revoke: the key stays listed and can no longer authenticate. Idempotent. */
	revokeKey(idOrKey: string): Promise<KeyInfo>
	/** Delete: the key disappears from listings and can no longer authenticate. */
	deleteKey(idOrKey: string): Promise<KeyInfo>
	/** Revoke every active key of `owner`; resolves to the number revoked. */
	revokeAll(owner: string): Promise<number>
	/** Replace a key with a new one carrying the same owner, scopes, quota, metadata and this period's usage. */
	rotateKey(idOrKey: string, options?: Readonly<RotateKeyOptions>): Promise<RotatedKey>
	/** Change a key's name, note, scopes, expiry, quota or metadata. */
	updateKey(idOrKey: string, patch: Readonly<UpdateKeyInput>): Promise<KeyInfo>
	/** This period's usage of a key. */
	usage(idOrKey: string): Promise<KeyUsage>
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
const ID_LIKE = /^[0-9A-Za-z]{4,64}$/

function storeFailure(error: unknown): KeywardError {
	return error instanceof KeywardError
		? error
		: new KeywardError('store_unavailable', 'Key store unavailable', { cause: error })
}

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

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
	return typeof (value as PromiseLike<T> | null | undefined)?.then === 'function'
}

/** A counter answering with anything but a boolean and a count is a failing counter. */
function isConsumeResult(value: unknown): value is ConsumeResult {
	const r = value as Partial<ConsumeResult> | null | undefined
	return (
		typeof r === 'object' &&
		r !== null &&
		typeof r.allowed === 'boolean' &&
		Number.isSafeInteger(r.used) &&
		(r.used as number) >= 0
	)
}

function isUsageCounter(value: unknown): value is UsageCounter {
	return typeof (value as UsageCounter | undefined)?.consume === 'function'
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

	/** Reject a store call that takes longer than `storeTimeoutMs`: a hanging store must fail closed. */
	function guard<T>(promise: PromiseLike<T>): Promise<T> {
		// The in-process store cannot hang; sparing it a timer per call keeps the hot path cheap.
		if (inProcess) return Promise.resolve(promise)
		let timer: ReturnType<typeof setTimeout> | undefined
		const timeout = new Promise<never>((_, rejectTimeout) => {
			timer = setTimeout(() => rejectTimeout(new Error('store call timed out')), timeoutMs)
		})
		return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
	}

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
			consumed = usage.consume(info.id, period.id, cost, limit)
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

	/* ---------------------------------------------------------------- management */

	/** Run a store or counter call: errors (thrown or rejected) and timeouts become `store_unavailable`. */
	async function call<T>(operation: () => T | PromiseLike<T>): Promise<T> {
		try {
			const answer = operation()
			return isThenable(answer) ? await guard(answer) : answer
		} catch (error) {
			throw storeFailure(error)
		}
	}

	async function resolve(idOrKey: string): Promise<KeyRecord> {
		if (typeof idOrKey !== 'string' || idOrKey.length === 0) {
			throw new KeywardError('invalid_argument', 'Expected a key id, id prefix or key')
		}
		const notFound = () => new KeywardError('key_not_found', 'No such key')
		if (parseKey(idOrKey, prefix) !== null) {
			for (const hash of hasher.candidates(idOrKey)) {
				const record = await call(() => store.findByHash(hash))
				if (record !== null) return record
			}
			throw notFound()
		}
		if (!ID_LIKE.test(idOrKey)) throw notFound()
		const exact = await call(() => store.findById(idOrKey))
		if (exact !== null) return exact
		const matches = (await call(() => store.list({}))).filter((r) => r.id.startsWith(idOrKey))
		if (matches.length > 1)
			throw new KeywardError('ambiguous_id', 'More than one key starts with this id prefix')
		const match = matches[0]
		if (match === undefined) throw notFound()
		return match
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

	async function patch(record: KeyRecord, changes: KeyPatch): Promise<KeyRecord> {
		const updated = await call(() => store.update(record.id, changes))
		if (updated === null) throw new KeywardError('key_not_found', 'No such key')
		changed(record)
		return updated
	}

	function expiryFrom(expiresAt: unknown, expiresIn: unknown, nowMs: number): Date | null {
		if (expiresAt !== undefined && expiresIn !== undefined) {
			throw new KeywardError('invalid_argument', 'Give expiresAt or expiresIn, not both')
		}
		let at: number | null
		if (expiresIn !== undefined) {
			// Past 8.64e15 ms a Date is invalid, which would read as "never expires".
			if (
				typeof expiresIn !== 'number' ||
				!Number.isFinite(expiresIn) ||
				expiresIn <= 0 ||
				nowMs + expiresIn > 8.64e15
			) {
				throw new KeywardError('invalid_argument', 'expiresIn must be a positive number of milliseconds')
			}
			at = nowMs + expiresIn
		} else if (expiresAt === undefined) {
			at = lifetime.defaultMs === undefined ? null : nowMs + lifetime.defaultMs
		} else if (expiresAt === null) {
			at = null
		} else if (expiresAt instanceof Date && !Number.isNaN(expiresAt.getTime())) {
			at = expiresAt.getTime()
			if (at <= nowMs) throw new KeywardError('invalid_argument', 'expiresAt must be in the future')
		} else {
			throw new KeywardError('invalid_argument', 'expiresAt must be a valid Date or null')
		}
		if (lifetime.maxMs !== undefined && (at === null || at > nowMs + lifetime.maxMs)) {
			throw new KeywardError('invalid_argument', 'Requested lifetime exceeds the maximum key lifetime')
		}
		return at === null ? null : new Date(at)
	}

	async function insert(fields: Omit<KeyRecord, 'id' | 'hash'>): Promise<CreatedKey> {
		for (let attempt = 0; ; attempt++) {
			const key = generateKey(prefix, environment)
			const record: KeyRecord = { ...fields, id: generateId(), hash: hasher.hash(key) }
			try {
				await call(() => store.create(record))
			} catch (error) {
				// 71-bit ids collide only by astronomically bad luck; one retry covers it.
				if (attempt === 0 && error instanceof KeywardError && error.code === 'duplicate_key') continue
				throw error
			}
			const info = toInfo(record)
			events.emit('key.created', { key: info })
			return { key, info }
		}
	}

	async function createKey(input: Readonly<CreateKeyInput>): Promise<CreatedKey> {
		if (typeof input !== 'object' || input === null)
			throw new KeywardError('invalid_argument', 'createKey expects an object')
		const nowMs = now()
		return insert({
			owner: checkText(input.owner, 'owner', 256, true) as string,
			name: checkText(input.name, 'name', 256, false),
			note: checkText(input.note, 'note', 2048, false),
			scopes: checkScopeList(input.scopes),
			createdAt: new Date(nowMs),
			expiresAt: expiryFrom(input.expiresAt, input.expiresIn, nowMs),
			revokedAt: null,
			lastUsedAt: null,
			monthlyQuota: checkQuota(input.monthlyQuota),
			metadata: checkMetadata(input.metadata),
		})
	}

	async function revokeRecord(record: KeyRecord): Promise<KeyInfo> {
		if (record.revokedAt !== null) return toInfo(record)
		const info = toInfo(await patch(record, { revokedAt: new Date(now()) }))
		events.emit('key.revoked', { key: info })
		return info
	}

	async function rotateKey(
		idOrKey: string,
		rotateOptions: Readonly<RotateKeyOptions> = {},
	): Promise<RotatedKey> {
		const graceMs = rotateOptions.graceMs ?? 0
		if (typeof graceMs !== 'number' || !Number.isFinite(graceMs) || graceMs < 0) {
			throw new KeywardError('invalid_argument', 'graceMs must be a non-negative number')
		}
		const old = await resolve(idOrKey)
		const nowMs = now()
		if (old.revokedAt !== null) throw new KeywardError('invalid_argument', 'A revoked key cannot be rotated')
		if (old.expiresAt !== null && old.expiresAt.getTime() <= nowMs) {
			throw new KeywardError('invalid_argument', 'An expired key cannot be rotated')
		}
		// The new key lives as long as the old one was meant to, under the current policy.
		const lifetimeMs = old.expiresAt === null ? undefined : old.expiresAt.getTime() - old.createdAt.getTime()
		const created = await insert({
			owner: old.owner,
			name: old.name,
			note: old.note,
			scopes: [...old.scopes],
			createdAt: new Date(nowMs),
			expiresAt:
				lifetimeMs === undefined
					? expiryFrom(null, undefined, nowMs)
					: expiryFrom(undefined, lifetimeMs, nowMs),
			revokedAt: null,
			lastUsedAt: null,
			monthlyQuota: old.monthlyQuota,
			metadata: structuredClone(old.metadata),
		})
		if (old.monthlyQuota !== null) {
			const period = calendar(nowMs).id
			const { used } = await call(() => usage.consume(old.id, period, 0, Number.MAX_SAFE_INTEGER))
			if (used > 0) await call(() => usage.consume(created.info.id, period, used, Number.MAX_SAFE_INTEGER))
		}
		const graceEnd = new Date(nowMs + graceMs)
		const previous = toInfo(
			await patch(
				old,
				graceMs === 0
					? { revokedAt: new Date(nowMs) }
					: { expiresAt: old.expiresAt !== null && old.expiresAt < graceEnd ? old.expiresAt : graceEnd },
			),
		)
		events.emit('key.rotated', { key: created.info, previous })
		return { ...created, previous }
	}

	return {
		verify,
		verifyKey,
		createKey,
		rotateKey,
		async listKeys(query = {}) {
			const owner = query.owner === undefined ? undefined : checkText(query.owner, 'owner', 256, true)
			return (await call(() => store.list(owner === undefined || owner === null ? {} : { owner }))).map(
				toInfo,
			)
		},
		async getKey(idOrKey) {
			return toInfo(await resolve(idOrKey))
		},
		async revokeKey(idOrKey) {
			return revokeRecord(await resolve(idOrKey))
		},
		async deleteKey(idOrKey) {
			const record = await resolve(idOrKey)
			if (!(await call(() => store.delete(record.id)))) throw new KeywardError('key_not_found', 'No such key')
			changed(record)
			// This instance keeps answering `revoked` for the deleted key until the entry ages out;
			// after that (and on other instances) the store no longer knows it: `invalid`.
			const nowMs = now()
			cache.set(cached({ ...record, revokedAt: record.revokedAt ?? new Date(nowMs) }), nowMs)
			const info = toInfo(record)
			events.emit('key.deleted', { key: info })
			return info
		},
		async revokeAll(owner) {
			const checked = checkText(owner, 'owner', 256, true) as string
			let count = 0
			for (const record of await call(() => store.list({ owner: checked }))) {
				if (record.revokedAt !== null) continue
				await revokeRecord(record)
				count++
			}
			return count
		},
		async updateKey(idOrKey, input) {
			if (typeof input !== 'object' || input === null)
				throw new KeywardError('invalid_argument', 'updateKey expects an object')
			const changes: KeyPatch = {}
			if (input.name !== undefined) changes.name = checkText(input.name, 'name', 256, false)
			if (input.note !== undefined) changes.note = checkText(input.note, 'note', 2048, false)
			if (input.scopes !== undefined) changes.scopes = checkScopeList(input.scopes)
			if (input.monthlyQuota !== undefined) changes.monthlyQuota = checkQuota(input.monthlyQuota)
			if (input.metadata !== undefined) changes.metadata = checkMetadata(input.metadata)
			if (input.expiresAt !== undefined) changes.expiresAt = expiryFrom(input.expiresAt, undefined, now())
			return toInfo(await patch(await resolve(idOrKey), changes))
		},
		async usage(idOrKey) {
			const record = await resolve(idOrKey)
			const period = calendar(now())
			const { used } = await call(() => usage.consume(record.id, period.id, 0, Number.MAX_SAFE_INTEGER))
			const limit = record.monthlyQuota
			return {
				period: period.id,
				used,
				limit,
				remaining: limit === null ? null : Math.max(0, limit - used),
				resetAt: period.resetAt,
			}
		},
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
