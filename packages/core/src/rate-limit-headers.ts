import type { QuotaPeriod } from './quota-period.js'

/**
 * The IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers) of a counted request: one
 * policy per limit, `"monthly"` for the key's own quota and `"account"` for its owner's shared
 * one, each with the quota period as its window.
 */

/** The headers of an answer that sends none: shared, never written to. */
export const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({})

/** A limit the RateLimit headers describe. */
export interface RateLimitPolicy {
	readonly name: 'monthly' | 'account'
	readonly limit: number
}

/** `RateLimit-Policy` value: `"monthly";q=<limit>;w=<period seconds>`, one item per policy. Constant per key and period. */
export function rateLimitPolicy(policies: readonly RateLimitPolicy[], period: QuotaPeriod): string {
	const window = Math.round((period.resetAt.getTime() - period.startsAt.getTime()) / 1000)
	return policies.map((p) => `"${p.name}";q=${p.limit};w=${window}`).join(', ')
}

/**
 * The headers of a counted request: `RateLimit-Policy` (made by {@link rateLimitPolicy}),
 * `RateLimit: "monthly";r=<remaining>;t=<seconds to reset>` (one item per policy, `remaining` in
 * the same order; a number when there is one policy), and on a refusal `Retry-After` (at least
 * one second).
 */
export function rateLimitHeaders(
	policy: string,
	policies: readonly RateLimitPolicy[],
	remaining: number | readonly number[],
	period: QuotaPeriod,
	nowMs: number,
	refused: boolean,
): Record<string, string> {
	const untilReset = Math.ceil((period.resetAt.getTime() - nowMs) / 1000)
	const t = Math.max(0, untilReset)
	let value: string
	if (typeof remaining === 'number') value = `"${policies[0]?.name}";r=${remaining};t=${t}`
	else {
		value = `"${policies[0]?.name}";r=${remaining[0]};t=${t}`
		for (let i = 1; i < policies.length; i++) value += `, "${policies[i]?.name}";r=${remaining[i]};t=${t}`
	}
	const headers: Record<string, string> = { 'RateLimit-Policy': policy, RateLimit: value }
	if (refused) headers['Retry-After'] = String(Math.max(1, untilReset))
	return headers
}
