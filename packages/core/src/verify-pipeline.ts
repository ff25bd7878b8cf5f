import type { CachedKey, CachedSession, HashCache, KeyCache } from './cache.js'
import { planHiding } from './credential-hiding.js'
import { KeywardError } from './errors.js'
import type { Extractor } from './extract.js'
import type { FailureLimiter } from './failure-limiter.js'
import type { KeyHasher } from './hash.js'
import { keyEnvironment } from './key-format.js'
import type { LastUsedTracker } from './last-used.js'
import type { LegacyFormats } from './legacy-format.js'
import type { OwnerCache, OwnerEntry } from './owner-cache.js'
import { isOwnerRecord, toOwnerInfo } from './owners.js'
import { createQuotaCounter } from './quota-counting.js'
import type { QuotaCalendar } from './quota-period.js'
import { createRecordLoader, deriveUnderOwner } from './record-loader.js'
import type { Rejecter } from './rejections.js'
import { hasScopes } from './scopes.js'
import { type CheckText, createSessionCheck } from './session-check.js'
import type { StoreBoundary } from './store-boundary.js'
import type { KeyStore, UsageCounter } from './store-types.js'
import type {
	CredentialHiding,
	HideCredentials,
	KeyRecord,
	RequestLike,
	VerifyOptions,
	VerifyResult,
} from './types.js'
import { createVerifyLimits } from './verify-limits.js'
import type { VerifyObserver } from './verify-observer.js'

/** What the request path needs from the keyward that wires it. */
export interface VerifierDeps {
	readonly store: KeyStore
	readonly usage: UsageCounter
	readonly boundary: StoreBoundary
	readonly hasher: KeyHasher
	readonly extract: Extractor
	readonly prefix: string
	readonly environment: string | null
	/** Formats of other systems let through to the store; `undefined`: none. */
	readonly legacy: LegacyFormats | undefined
	readonly reject: Rejecter
	readonly cache: KeyCache
	readonly sessions: HashCache<CachedSession>
	readonly owners: OwnerCache
	readonly calendar: QuotaCalendar
	readonly limiter: FailureLimiter | undefined
	readonly lastUsed: LastUsedTracker
	/** History, metrics, `request.*` events and the causes of 503s. */
	readonly observer: VerifyObserver
	readonly now: () => number
	readonly hideByDefault: HideCredentials
	/** Every header that can carry a key, hidden from ambiguous requests under `hideCredentials: true`. */
	readonly credentialHeaders: readonly string[]
	/** Whether requests let through carry the RateLimit headers (refusals always do). */
	readonly rateLimitHeaders: boolean
}

/**
 * The request path of a keyward. `owner`, when given, must be the key's owner: any other is
 * refused as an unknown key is (a login naming the wrong user learns nothing about the key).
 */
export interface Verifier {
	verify(req: RequestLike, options: Readonly<VerifyOptions>, owner?: string): Promise<VerifyResult>
	/** `verify` without a promise where none is needed; throws where `verify` rejects. */
	verifyNow(req: RequestLike, options: Readonly<VerifyOptions>): VerifyResult | Promise<VerifyResult>
	verifyKey(key: string, options: Readonly<VerifyOptions>, owner?: string): Promise<VerifyResult>
	/** Verify a session token: the session, then its key exactly as `verifyKey` checks a key. */
	verifySession(token: string, options: Readonly<VerifyOptions>): Promise<VerifyResult>
	/** The cache entry of a record, as the request path keeps it. */
	cacheEntry(record: KeyRecord): CachedKey
}

/**
 * The request path: extract -> format check -> hash -> cache -> store -> checks -> quota. On a
 * cached key everything up to the quota runs synchronously, so a verification settles without a
 * promise of its own unless the store or the counter has to be asked.
 */
export function createVerifier(deps: VerifierDeps): Verifier {
	const { store, usage, hasher, reject, cache, calendar, limiter, lastUsed, observer, now, legacy } = deps
	const guard = deps.boundary.guard
	const records = createRecordLoader(store, hasher, guard, cache)
	const owners = deps.owners
	const ownersInflight = new Map<string, Promise<OwnerEntry>>()
	const unavailable = (cause: unknown, keyId: string) => observer.unavailable(cause, 'count_quota', keyId)
	const { rateLimitHeaders } = deps
	const countQuota = createQuotaCounter({
		usage,
		calendar,
		reject,
		guard,
		lastUsed,
		unavailable,
		rateLimitHeaders,
	})
	const { clientOf, throttled, finish, refuseCredentials } = createVerifyLimits({
		limiter,
		reject,
		observer,
		now,
	})
	/** The clock reading of the latest verification, so that observing it reads the clock no more. */
	let verifiedAt = 0

	function verifyKeyText(
		key: string,
		scopes: readonly string[] | undefined,
		cost: number,
		owner?: string,
	): VerifyResult | Promise<VerifyResult> {
		const keyEnv = keyEnvironment(key, deps.prefix)
		if (keyEnv === false) {
			// Not keyward's format: a key of a configured legacy format goes on to the store (it has no
			// checksum to check and no environment marker); anything else is malformed.
			if (legacy?.match(key) === undefined) return reject('malformed')
			return lookUp(key, scopes, cost, owner, true)
		}
		if (keyEnv !== deps.environment) return reject('wrong_environment')
		return lookUp(key, scopes, cost, owner, false)
	}

	/** Hash, cache, store: the record of a key whose format passed, then its checks. */
	function lookUp(
		key: string,
		scopes: readonly string[] | undefined,
		cost: number,
		owner: string | undefined,
		legacyFormat: boolean,
	): VerifyResult | Promise<VerifyResult> {
		const nowMs = now()
		verifiedAt = nowMs
		const hash = hasher.hash(key)
		const entry = cache.get(hash, nowMs)
		if (observer.countsLookups) observer.cacheLookup(entry !== undefined)
		if (entry !== undefined) return checkRecord(entry, scopes, cost, nowMs, owner)
		return records.load(key, hash, nowMs, legacyFormat).then(
			(loaded) => checkRecord(loaded, scopes, cost, nowMs, owner),
			(error: unknown) => observer.unavailable(error, 'find_key'),
		)
	}

	/** Revoked, expired, then its owner's record, for a looked-up key (`null`: unknown). */
	function checkRecord(
		entry: CachedKey | null,
		scopes: readonly string[] | undefined,
		cost: number,
		nowMs: number,
		requiredOwner?: string,
	): VerifyResult | Promise<VerifyResult> {
		if (entry === null) return reject('invalid')
		// Before anything about the key: a wrong owner must not learn that it is revoked or expired.
		if (requiredOwner !== undefined && entry.info.owner !== requiredOwner) return reject('invalid')
		const info = entry.info
		if (info.revokedAt !== null && info.revokedAt.getTime() <= nowMs)
			return reject('revoked', undefined, info.id)
		if (info.expiresAt !== null && nowMs >= info.expiresAt.getTime())
			return reject('expired', undefined, info.id)
		const known = entry.owner
		if (known !== undefined && !known.stale && nowMs <= known.freshUntil) {
			return checkUnderOwner(entry, known, scopes, cost, nowMs)
		}
		const owner = owners.get(info.owner, nowMs)
		if (owner !== undefined) return checkUnderOwner(entry, owner, scopes, cost, nowMs)
		return loadOwner(info.owner, nowMs).then(
			(loaded) => checkUnderOwner(entry, loaded, scopes, cost, nowMs),
			(error: unknown) => observer.unavailable(error, 'find_owner', info.id),
		)
	}

	/** The owner's switch, the scopes in effect, then the quotas. */
	function checkUnderOwner(
		entry: CachedKey,
		ownerEntry: OwnerEntry,
		scopes: readonly string[] | undefined,
		cost: number,
		nowMs: number,
	): VerifyResult | Promise<VerifyResult> {
		if (entry.owner !== ownerEntry) deriveUnderOwner(entry, ownerEntry)
		if (ownerEntry.owner?.disabled === true) return reject('owner_disabled', undefined, entry.info.id)
		if (scopes !== undefined && scopes.length > 0 && !hasScopes(entry.verified.scopes, scopes)) {
			return reject('insufficient_scope', undefined, entry.info.id)
		}
		if (entry.policies.length === 0) {
			lastUsed.touch(entry.info.id, nowMs)
			return entry.success
		}
		return countQuota(entry, cost, nowMs)
	}

	/** Read owner `id`'s record into the owner cache; concurrent misses share one lookup. */
	function loadOwner(id: string, nowMs: number): Promise<OwnerEntry> {
		let pending = ownersInflight.get(id)
		if (pending === undefined) {
			// An async step, so a store that throws at once fails this request closed too.
			pending = (async () => {
				const record: unknown = await guard(store.getOwner(id))
				if (record !== null && !isOwnerRecord(record)) throw new Error('store returned an invalid owner')
				return owners.set(id, record === null ? null : toOwnerInfo(record), nowMs)
			})().finally(() => ownersInflight.delete(id))
			ownersInflight.set(id, pending)
		}
		return pending
	}

	const verifySessionText = createSessionCheck({
		store,
		hasher,
		guard,
		prefix: deps.prefix,
		reject,
		cache,
		sessions: deps.sessions,
		records,
		now,
		stamp: (nowMs) => {
			verifiedAt = nowMs
		},
		unavailable: (cause, operation, keyId) => observer.unavailable(cause, operation, keyId),
		checkRecord,
	})

	/** A key of `owner` only, or any key. */
	function keyOf(owner: string | undefined): CheckText {
		if (owner === undefined) return verifyKeyText
		return (key, scopes, cost) => verifyKeyText(key, scopes, cost, owner)
	}

	/** Verify a credential (a key, or a session token) with the failure limiter and the events around it. */
	function verifyWithLimits(
		text: unknown,
		options: Readonly<VerifyOptions>,
		req: RequestLike | undefined,
		check: CheckText,
	): VerifyResult | Promise<VerifyResult> {
		const cost = options.cost ?? 1
		if (cost !== 1 && (!Number.isSafeInteger(cost) || cost < 0)) {
			throw new KeywardError('invalid_argument', 'cost must be a non-negative integer')
		}
		const client = clientOf(options, req)
		const blocked = client === undefined ? undefined : throttled(client)
		if (blocked !== undefined) return blocked
		const timed = observer.timed()
		const started = timed ? performance.now() : 0
		const outcome = check(typeof text === 'string' ? text : '', options.scopes, cost)
		if (client === undefined && !timed && !observer.recording) return outcome
		const at = verifiedAt
		// A settled answer is finished without a closure: nothing is allocated on the cached path.
		if (!(outcome instanceof Promise)) return finish(outcome, client, started, timed, at)
		return outcome.then((result) => finish(result, client, started, timed, at))
	}

	/** Extract, verify, and report what to hide; the request itself is never edited. */
	function verifyRequest(
		req: RequestLike,
		options: Readonly<VerifyOptions>,
		owner: string | undefined,
	): VerifyResult | Promise<VerifyResult> {
		// Read once: a framework's request can make every property read cost.
		const { headers, url } = req
		const found = deps.extract.read(req, headers, url)
		const mode = options.hideCredentials ?? deps.hideByDefault
		const hide = planHiding(found, url, headers, mode, deps.extract.stripQuery, deps.credentialHeaders)
		const outcome =
			found.kind === 'key'
				? verifyWithLimits(found.key, options, req, keyOf(owner))
				: refuseCredentials(found.kind, options, req)
		if (hide === undefined) return outcome
		return outcome instanceof Promise
			? outcome.then((result) => withHiding(result, hide))
			: withHiding(outcome, hide)
	}

	return {
		verify: (req, options, owner) => promised(() => verifyRequest(req, options, owner)),
		verifyNow: (req, options) => verifyRequest(req, options, undefined),
		verifyKey: (key, options, owner) =>
			promised(() => verifyWithLimits(key, options, undefined, keyOf(owner))),
		verifySession: (token, options) =>
			promised(() => verifyWithLimits(token, options, undefined, verifySessionText)),
		cacheEntry: records.cacheEntry,
	}
}

function withHiding(result: VerifyResult, hide: CredentialHiding): VerifyResult {
	return { ...result, hide }
}

/** `run()` as a promise: its answer, or what it throws as a rejection. */
function promised(run: () => VerifyResult | Promise<VerifyResult>): Promise<VerifyResult> {
	try {
		return Promise.resolve(run())
	} catch (error) {
		return Promise.reject(error)
	}
}
