import type { QuotaPeriod } from './quota-period.js'

/**
 * The IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers) of a key with a quota: one
 * policy, named `"monthly"`, whose quota is the key's `monthlyQuota` and whose window is the
 * quota period.
 */

/** `RateLimit-Policy` value: `"monthly";q=<limit>;w=<period seconds>`. Constant per key and period. */
export function rateLimitPolicy(limit: number, period: QuotaPeriod): string {
	const window = Math.round((period.resetAt.getTime() - period.startsAt.getTime()) / 1000)
	return `"monthly";q=${limit};w=${window}`
}

/**
 * The headers of a counted request: `RateLimit-Policy` (made by {@link rateLimitPolicy}),
 * `RateLimit: "monthly";r=<remaining>;t=<seconds to reset>`, and on a refusal `Retry-After` (at
 * least one second).
 */
export function rateLimitHeaders(
	policy: string,
	remaining: number,
	period: QuotaPeriod,
	nowMs: number,
	refused: boolean,
): Record<string, string> {
	const untilReset = Math.ceil((period.resetAt.getTime() - nowMs) / 1000)
	const headers: Record<string, string> = {
		'RateLimit-Policy': policy,
		RateLimit: `"monthly";r=${remaining};t=${Math.max(0, untilReset)}`,
	}
	if (refused) headers['Retry-After'] = String(Math.max(1, untilReset))
	return headers
}
