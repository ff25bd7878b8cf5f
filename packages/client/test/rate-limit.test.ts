import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseRateLimit } from '../src/rate-limit.js'

const NOW = Date.UTC(2026, 10, 15, 12)
const headers = (init: Record<string, string>) => new Headers(init)

describe('parseRateLimit', () => {
	it('reads the headers keyward sends', () => {
		const quota = parseRateLimit(
			headers({ 'RateLimit-Policy': '"monthly";q=1000;w=2592000', RateLimit: '"monthly";r=998;t=3600' }),
			NOW,
		)
		expect(quota).toEqual({
			limit: 1000,
			remaining: 998,
			resetAt: new Date(NOW + 3_600_000),
			policy: 'monthly',
		})
	})

	it('matches RateLimit items to their policies and reports the tightest one', () => {
		const quota = parseRateLimit(
			headers({
				'RateLimit-Policy': '"burst";q=100;w=60, "daily";q=5000;w=86400',
				RateLimit: '"daily";r=4000;t=600, "burst";r=3;t=20',
			}),
			NOW,
		)
		expect(quota).toEqual({ limit: 100, remaining: 3, resetAt: new Date(NOW + 20_000), policy: 'burst' })
	})

	it('reads the draft-7 dictionary and the older trio of headers', () => {
		expect(parseRateLimit(headers({ RateLimit: 'limit=100, remaining=50, reset=30' }), NOW)).toEqual({
			limit: 100,
			remaining: 50,
			resetAt: new Date(NOW + 30_000),
		})
		expect(
			parseRateLimit(
				headers({ 'RateLimit-Limit': '10, 10;w=1', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '5' }),
				NOW,
			),
		).toEqual({ limit: 10, remaining: 0, resetAt: new Date(NOW + 5000) })
	})

	it('is undefined without usable headers', () => {
		expect(parseRateLimit(headers({}), NOW)).toBeUndefined()
		expect(parseRateLimit(headers({ RateLimit: '"monthly";r=1;t=2' }), NOW)).toBeUndefined() // no policy
		expect(
			parseRateLimit(headers({ RateLimit: '"monthly";r=-1;t=2', 'RateLimit-Policy': '"monthly";q=5' }), NOW),
		).toBeUndefined()
		expect(
			parseRateLimit(
				headers({ 'RateLimit-Limit': 'ten', 'RateLimit-Remaining': '1', 'RateLimit-Reset': '1' }),
				NOW,
			),
		).toBeUndefined()
	})

	it('never throws on arbitrary header values', () => {
		const value = fc.oneof(
			fc.string({ maxLength: 60 }),
			fc
				.array(
					fc.constantFrom('"', '\\', ',', ';', '=', 'q', 'r', 't', 'w', '1', '0', ' ', 'monthly', 'limit'),
					{
						maxLength: 40,
					},
				)
				.map((parts) => parts.join('')),
		)
		fc.assert(
			fc.property(value, value, value, (rateLimit, policy, limit) => {
				const reader = {
					get: (name: string) =>
						({ RateLimit: rateLimit, 'RateLimit-Policy': policy, 'RateLimit-Limit': limit })[name] ?? null,
				}
				const quota = parseRateLimit(reader, NOW)
				if (quota !== undefined) {
					expect(Number.isSafeInteger(quota.limit) && Number.isSafeInteger(quota.remaining)).toBe(true)
					expect(Number.isNaN(quota.resetAt.getTime())).toBe(false)
				}
			}),
		)
	})
})
