import type { CachedKey } from './cache.js'
import type { LastUsedTracker } from './last-used.js'
import type { QuotaCalendar, QuotaPeriod } from './quota-period.js'
import { NO_HEADERS, type RateLimitPolicy, rateLimitHeaders, rateLimitPolicy } from './rate-limit-headers.js'
import type { Rejecter } from './rejections.js'
import { isConsumeResult, isThenable, type StoreBoundary } from './store-boundary.js'
import type { ConsumeAllResult, UsageCounter } from './store-types.js'
import type { VerifyResult } from './types.js'

/**
 * Counts a verified request against its key's quota and its owner's (as `entry.policies` and
 * `entry.counters` describe them), and answers.
 */
export type QuotaCounter = (
	entry: CachedKey,
	cost: number,
	nowMs: number,
) => VerifyResult | Promise<VerifyResult>

function isConsumeAllResult(value: unknown, length: number): value is ConsumeAllResult {
	const r = value as Partial<ConsumeAllResult> | null | undefined
	return (
		typeof r === 'object' &&
		r !== null &&
		typeof r.allowed === 'boolean' &&
		Array.isArray(r.used) &&
		r.used.length === length &&
		r.used.every(isCount)
	)
}

function isCount(n: unknown): boolean {
	return Number.isSafeInteger(n) && (n as number) >= 0
}

/** The cause of a 503 when the counter answered something other than a count. */
function malformed(answer: unknown): Error {
	const shape = answer === null ? 'null' : Array.isArray(answer) ? 'an array' : typeof answer
	return new Error(`the usage counter answered with ${shape}, not { allowed, used }`)
}

const NO_CONSUME_ALL = new Error(
	"the usage counter has no consumeAll, which counts a key with its owner's shared quota",
)

/**
 * The quota step of the request path. A key's own quota is one counter (`consume`); a key whose
 * owner has a quota counts both at once (`consumeAll`), so neither limit is ever passed. A counter
 * that throws, rejects, hangs or answers garbage fails closed (503).
 */
export function createQuotaCounter(deps: {
	readonly usage: UsageCounter
	readonly calendar: QuotaCalendar
	readonly reject: Rejecter
	readonly guard: StoreBoundary['guard']
	readonly lastUsed: LastUsedTracker
	/** The 503 of a request whose counter failed with `cause` (reported by the caller). */
	readonly unavailable: (cause: unknown, keyId: string) => VerifyResult
	/** Whether requests let through carry the RateLimit headers (refusals always do). */
	readonly rateLimitHeaders: boolean
}): QuotaCounter {
	const { usage, calendar, reject, guard, lastUsed, unavailable, rateLimitHeaders: sendHeaders } = deps

	/** The `RateLimit-Policy` value of `entry` in `period`: made once per key and period, not per request. */
	function policyOf(entry: CachedKey, period: QuotaPeriod): string {
		const startMs = period.startsAt.getTime()
		if (entry.policy === undefined || entry.policyPeriod !== startMs) {
			entry.policy = rateLimitPolicy(entry.policies, period)
			entry.policyPeriod = startMs
		}
		return entry.policy
	}

	/** The answer of a key counted alone, its one policy used `used` units: no array, no closure. */
	function answerOne(
		entry: CachedKey,
		used: number,
		allowed: boolean,
		period: QuotaPeriod,
		nowMs: number,
	): VerifyResult {
		const policy = entry.policies[0] as RateLimitPolicy
		const remaining = Math.max(0, policy.limit - used)
		if (allowed && !sendHeaders) return success(entry, policy, remaining, period, NO_HEADERS, nowMs)
		const headers = rateLimitHeaders(
			policyOf(entry, period),
			entry.policies,
			remaining,
			period,
			nowMs,
			!allowed,
		)
		if (!allowed) return reject('quota_exceeded', headers, entry.info.id)
		return success(entry, policy, remaining, period, headers, nowMs)
	}

	/** The answer once the counter has spoken: `used` per policy, in the order of `policies`. */
	function answer(
		entry: CachedKey,
		used: readonly number[],
		allowed: boolean,
		cost: number,
		period: QuotaPeriod,
		nowMs: number,
	): VerifyResult {
		const policies = entry.policies
		let tightest = 0
		const remaining = policies.map((p, i) => Math.max(0, p.limit - (used[i] as number)))
		for (let i = 1; i < remaining.length; i++)
			if ((remaining[i] as number) < (remaining[tightest] as number)) tightest = i
		const headers =
			allowed && !sendHeaders
				? NO_HEADERS
				: rateLimitHeaders(policyOf(entry, period), policies, remaining, period, nowMs, !allowed)
		if (!allowed) {
			const ownerHit = policies.some((p, i) => p.name === 'account' && (used[i] as number) + cost > p.limit)
			return reject(ownerHit ? 'owner_quota_exceeded' : 'quota_exceeded', headers, entry.info.id)
		}
		const policy = policies[tightest] as RateLimitPolicy
		return success(entry, policy, remaining[tightest] as number, period, headers, nowMs)
	}

	/** The answer of a key counted with its owner: the key's own counter comes first, and is not advertised without a limit of its own. */
	function answerAll(
		entry: CachedKey,
		counted: ConsumeAllResult,
		cost: number,
		period: QuotaPeriod,
		nowMs: number,
	): VerifyResult {
		const offset = counted.used.length - entry.policies.length
		const used = offset === 0 ? counted.used : counted.used.slice(offset)
		return answer(entry, used, counted.allowed, cost, period, nowMs)
	}

	/** A counted request let through: the tightest `policy` is the quota it reports. */
	function success(
		entry: CachedKey,
		policy: RateLimitPolicy,
		remaining: number,
		period: QuotaPeriod,
		headers: Readonly<Record<string, string>>,
		nowMs: number,
	): VerifyResult {
		lastUsed.touch(entry.info.id, nowMs)
		const scope = policy.name === 'account' ? 'owner' : 'key'
		const quota = { limit: policy.limit, remaining, resetAt: period.resetAt, scope } as const
		return { ok: true, key: entry.verified, quota, headers }
	}

	/** A count that was not a valid answer at once: a promise of one (or garbage, a 503). */
	function later<T>(
		counted: unknown,
		valid: (value: unknown) => value is T,
		keyId: string,
		then: (value: T) => VerifyResult,
	): VerifyResult | Promise<VerifyResult> {
		if (!isThenable(counted)) return unavailable(malformed(counted), keyId)
		return guard(counted).then(
			(value: unknown) => (valid(value) ? then(value) : unavailable(malformed(value), keyId)),
			(error: unknown) => unavailable(error, keyId),
		)
	}

	return function countQuota(entry, cost, nowMs) {
		const period = calendar(nowMs)
		const { policies, counters } = entry
		const keyId = entry.info.id
		try {
			if (counters === undefined) {
				const limit = (policies[0] as RateLimitPolicy).limit
				const counted = usage.consume(entry.info.familyId, period.id, cost, limit, entry.info.owner)
				// A counter that could count without I/O answered at once: so does keyward.
				if (isConsumeResult(counted)) return answerOne(entry, counted.used, counted.allowed, period, nowMs)
				return later(counted, isConsumeResult, keyId, (r) =>
					answerOne(entry, r.used, r.allowed, period, nowMs),
				)
			}
			if (usage.consumeAll === undefined) return unavailable(NO_CONSUME_ALL, keyId)
			const counted = usage.consumeAll(counters, period.id, cost)
			if (isConsumeAllResult(counted, counters.length)) return answerAll(entry, counted, cost, period, nowMs)
			const valid = (value: unknown): value is ConsumeAllResult => isConsumeAllResult(value, counters.length)
			return later(counted, valid, keyId, (r) => answerAll(entry, r, cost, period, nowMs))
		} catch (error) {
			return unavailable(error, keyId)
		}
	}
}
