import { checkOptionNames } from './option-names.js'
/**
 * How {@link createClient} retries a `503 Service Unavailable`. 4xx answers are never retried, and
 * that includes both kinds of 429: a `quota_exceeded` lasts until the quota period ends, and a
 * `too_many_failures` refuses this client because of bad keys it sent, so the same request (often
 * with the same bad key) would only be refused again. Both errors carry `retryAfterMs`.
 */
export interface RetryOptions {
	/** Retries after the first attempt; `0` turns retrying off. @defaultValue 2 */
	retries?: number | undefined
	/** Base of the exponential backoff: attempt n waits about `minDelayMs * 2^n`. @defaultValue 500 */
	minDelayMs?: number | undefined
	/**
	 * Longest wait between attempts; a `Retry-After` asking for more ends the retries. At most
	 * 2_147_483_647 (about 24.8 days, the longest timer Node.js has). @defaultValue 30_000
	 */
	maxDelayMs?: number | undefined
}

/** The longest timer Node.js supports (about 24.8 days); a longer one would fire after 1 ms. */
const MAX_RETRY_DELAY_MS = 2_147_483_647

/** {@link RetryOptions} with every default applied. */
export type ResolvedRetryOptions = Required<{ [K in keyof RetryOptions]: NonNullable<RetryOptions[K]> }>

/** Fills in defaults and rejects nonsense (negative or fractional counts, delays that are not finite). */
export function resolveRetryOptions(options: RetryOptions | false | undefined): ResolvedRetryOptions {
	if (options === false) return { retries: 0, minDelayMs: 0, maxDelayMs: 0 }
	checkOptionNames(options, 'retry')
	const resolved = {
		retries: options?.retries ?? 2,
		minDelayMs: options?.minDelayMs ?? 500,
		maxDelayMs: options?.maxDelayMs ?? 30_000,
	}
	if (!Number.isSafeInteger(resolved.retries) || resolved.retries < 0) {
		throw new RangeError('retry.retries must be a non-negative integer')
	}
	if (
		!(resolved.minDelayMs >= 0) ||
		!(resolved.maxDelayMs >= resolved.minDelayMs) ||
		!(resolved.maxDelayMs <= MAX_RETRY_DELAY_MS)
	) {
		throw new RangeError(`retry delays must satisfy 0 <= minDelayMs <= maxDelayMs <= ${MAX_RETRY_DELAY_MS}`)
	}
	return resolved
}

/**
 * Wait before retry number `attempt` (0 for the first retry): exponential, capped, with "equal
 * jitter" (half fixed, half random) so that many clients do not retry in lockstep.
 */
export function backoffDelay(attempt: number, options: ResolvedRetryOptions, random: () => number): number {
	const ceiling = Math.min(options.maxDelayMs, options.minDelayMs * 2 ** attempt)
	return ceiling / 2 + (ceiling / 2) * Math.min(1, Math.max(0, random()))
}

/**
 * Milliseconds a `Retry-After` header asks to wait: delay-seconds or an HTTP date.
 * `undefined` when absent or unreadable.
 * @example parseRetryAfter('120', Date.now()) // 120_000
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
	if (value === null) return undefined
	const text = value.trim()
	if (/^\d{1,10}$/.test(text)) return Number(text) * 1000
	if (!/[a-z]/i.test(text)) return undefined
	const at = Date.parse(text)
	return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs)
}
