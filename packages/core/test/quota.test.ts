import { afterEach, describe, expect, it, vi } from 'vitest'
import { createKeyward } from '../src/keyward.js'
import { MemoryStore } from '../src/memory-store.js'
import { createQuotaCalendar } from '../src/quota-period.js'
import { setup } from './helpers.js'

describe('monthly quota', () => {
	afterEach(() => {
		vi.useRealTimers()
	})

	it('allows exactly N, refuses N+1 with Retry-After and RateLimit headers', async () => {
		const { keyward, time } = setup()
		const { key } = await keyward.createKey({ owner: 'acme', monthlyQuota: 3 })
		const remaining: number[] = []
		for (let i = 0; i < 3; i++) {
			const r = await keyward.verifyKey(key)
			if (!r.ok) throw new Error(`request ${i} refused`)
			remaining.push(r.quota?.remaining ?? -1)
			expect(r.quota?.resetAt).toEqual(new Date(Date.UTC(2026, 11, 1)))
		}
		expect(remaining).toEqual([2, 1, 0])
		const refused = await keyward.verifyKey(key)
		const secondsLeft = (Date.UTC(2026, 11, 1) - time.now()) / 1000
		expect(refused).toMatchObject({
			ok: false,
			status: 429,
			code: 'quota_exceeded',
			detail: 'Monthly quota exceeded',
		})
		expect(refused.headers).toEqual({
			'Retry-After': String(secondsLeft),
			'RateLimit-Policy': `"monthly";q=3;w=${30 * 86400}`,
			RateLimit: `"monthly";r=0;t=${secondsLeft}`,
		})
	})

	it('rateLimitHeaders: false leaves the headers off answers let through, never off a 429', async () => {
		const { keyward, time } = setup({ rateLimitHeaders: false })
		const { key } = await keyward.createKey({ owner: 'acme', monthlyQuota: 2 })
		await keyward.setOwner('shared', { monthlyQuota: 3 })
		const { key: sharing } = await keyward.createKey({ owner: 'shared', monthlyQuota: 10 })
		for (const [k, left] of [
			[key, 1],
			[sharing, 2],
		] as const) {
			const passed = await keyward.verifyKey(k)
			expect(passed).toMatchObject({ ok: true, headers: {}, quota: { remaining: left } })
			expect(Object.keys(passed.headers)).toEqual([])
		}
		await keyward.verifyKey(key)
		const refused = await keyward.verifyKey(key)
		const secondsLeft = (Date.UTC(2026, 11, 1) - time.now()) / 1000
		expect(refused).toMatchObject({ ok: false, status: 429, code: 'quota_exceeded' })
		expect(refused.headers).toEqual({
			'Retry-After': String(secondsLeft),
			'RateLimit-Policy': `"monthly";q=2;w=${30 * 86400}`,
			RateLimit: `"monthly";r=0;t=${secondsLeft}`,
		})
		await keyward.verifyKey(sharing)
		await keyward.verifyKey(sharing)
		const ownerRefused = await keyward.verifyKey(sharing)
		expect(ownerRefused).toMatchObject({ ok: false, status: 429, code: 'owner_quota_exceeded' })
		expect(ownerRefused.headers.RateLimit).toBe(
			`"monthly";r=7;t=${secondsLeft}, "account";r=0;t=${secondsLeft}`,
		)
		expect(ownerRefused.headers['Retry-After']).toBe(String(secondsLeft))
	})

	it('rateLimitHeaders takes true or false only, and a misspelling is named', () => {
		for (const bad of ['false', 0, null, 'no']) {
			expect(() => createKeyward({ rateLimitHeaders: bad as unknown as boolean })).toThrow(
				'rateLimitHeaders must be true or false',
			)
		}
		expect(() => createKeyward({ rateLimitheader: false } as never)).toThrow(
			'Unknown option "rateLimitheader" in createKeyward options (did you mean "rateLimitHeaders"?)',
		)
		expect(() => createKeyward({ rateLimitHeaders: true })).not.toThrow()
	})

	it('resets on the first of the next month (UTC)', async () => {
		const { keyward, time } = setup()
		time.set(Date.UTC(2026, 10, 30, 23, 59, 59, 999))
		const { key } = await keyward.createKey({ owner: 'acme', monthlyQuota: 1 })
		expect((await keyward.verifyKey(key)).ok).toBe(true)
		expect(await keyward.verifyKey(key)).toMatchObject({ status: 429, headers: { 'Retry-After': '1' } })
		time.advance(1)
		const next = await keyward.verifyKey(key)
		expect(next).toMatchObject({
			ok: true,
			quota: { limit: 1, remaining: 0, resetAt: new Date(Date.UTC(2027, 0, 1)) },
		})
	})

	it('resets with fake timers driving the default clock', async () => {
		vi.useFakeTimers({ toFake: ['Date'] })
		vi.setSystemTime(new Date(Date.UTC(2027, 0, 31, 23, 0)))
		const keyward = createKeyward()
		const { key } = await keyward.createKey({ owner: 'acme', monthlyQuota: 1 })
		expect((await keyward.verifyKey(key)).ok).toBe(true)
		expect((await keyward.verifyKey(key)).ok).toBe(false)
		vi.setSystemTime(new Date(Date.UTC(2027, 1, 1)))
		expect((await keyward.verifyKey(key)).ok).toBe(true)
	})

	it('counts months in a configured time zone', async () => {
		const { keyward, time } = setup({ quota: { timeZone: 'America/New_York' } })
		// 2026-12-01T03:00Z is still November 30th, 22:00 in New York.
		time.set(Date.UTC(2026, 11, 1, 3))
		const { key } = await keyward.createKey({ owner: 'acme', monthlyQuota: 1 })
		const first = await keyward.verifyKey(key)
		expect(first).toMatchObject({ ok: true, quota: { resetAt: new Date(Date.UTC(2026, 11, 1, 5)) } })
		expect((await keyward.verifyKey(key)).ok).toBe(false)
		time.set(Date.UTC(2026, 11, 1, 4, 59, 59, 999))
		expect((await keyward.verifyKey(key)).ok).toBe(false)
		time.set(Date.UTC(2026, 11, 1, 5))
		expect((await keyward.verifyKey(key)).ok).toBe(true)
	})

	it('only requests that pass every other check consume quota', async () => {
		const { keyward } = setup()
		const { key } = await keyward.createKey({ owner: 'acme', scopes: ['read'], monthlyQuota: 1 })
		for (let i = 0; i < 5; i++)
			expect(await keyward.verifyKey(key, { scopes: ['write'] })).toMatchObject({ status: 403 })
		expect((await keyward.verifyKey(key, { scopes: ['read'] })).ok).toBe(true)
	})

	it('a cost counts several units', async () => {
		const { keyward } = setup()
		const { key } = await keyward.createKey({ owner: 'acme', monthlyQuota: 10 })
		expect(await keyward.verifyKey(key, { cost: 7 })).toMatchObject({ ok: true, quota: { remaining: 3 } })
		expect(await keyward.verifyKey(key, { cost: 4 })).toMatchObject({ status: 429 })
		expect(await keyward.verifyKey(key, { cost: 3 })).toMatchObject({ ok: true, quota: { remaining: 0 } })
	})

	it('10,000 concurrent verifications of a key with quota 5,000 let exactly 5,000 in', async () => {
		const keyward = createKeyward({ store: new MemoryStore() })
		const { key } = await keyward.createKey({ owner: 'acme', monthlyQuota: 5000 })
		const results = await Promise.all(Array.from({ length: 10_000 }, () => keyward.verifyKey(key)))
		expect(results.filter((r) => r.ok)).toHaveLength(5000)
		expect(results.filter((r) => !r.ok && r.code === 'quota_exceeded')).toHaveLength(5000)
		expect(await keyward.usage(key)).toMatchObject({ used: 5000, limit: 5000, remaining: 0 })
	})
})

describe('quota calendar', () => {
	it('cuts calendar months in UTC by default', () => {
		const at = createQuotaCalendar()
		expect(at(Date.UTC(2026, 1, 28, 23, 59))).toEqual({
			id: '2026-02',
			startsAt: new Date(Date.UTC(2026, 1, 1)),
			resetAt: new Date(Date.UTC(2026, 2, 1)),
		})
		expect(at(Date.UTC(2026, 11, 31, 23, 59)).resetAt).toEqual(new Date(Date.UTC(2027, 0, 1)))
	})

	it('follows daylight saving time in a zone', () => {
		const berlin = createQuotaCalendar({ timeZone: 'Europe/Berlin' })
		expect(berlin(Date.UTC(2026, 2, 15)).resetAt).toEqual(new Date(Date.UTC(2026, 2, 31, 22)))
		expect(berlin(Date.UTC(2026, 9, 15)).resetAt).toEqual(new Date(Date.UTC(2026, 9, 31, 23)))
		expect(berlin(Date.UTC(2026, 9, 31, 22, 59)).id).toBe('2026-10')
		expect(berlin(Date.UTC(2026, 9, 31, 23)).id).toBe('2026-11')
	})

	it('starts periods on a billing anchor day', () => {
		const at = createQuotaCalendar({ anchorDay: 15 })
		expect(at(Date.UTC(2026, 10, 14, 23))).toMatchObject({
			id: '2026-10',
			resetAt: new Date(Date.UTC(2026, 10, 15)),
		})
		expect(at(Date.UTC(2026, 10, 15))).toMatchObject({
			id: '2026-11',
			resetAt: new Date(Date.UTC(2026, 11, 15)),
		})
		expect(at(Date.UTC(2027, 0, 3))).toMatchObject({
			id: '2026-12',
			startsAt: new Date(Date.UTC(2026, 11, 15)),
		})
	})

	it('rejects bad settings', () => {
		expect(() => createQuotaCalendar({ anchorDay: 29 })).toThrow(RangeError)
		expect(() => createQuotaCalendar({ anchorDay: 0 })).toThrow(RangeError)
		expect(() => createQuotaCalendar({ timeZone: 'Mars/Olympus' })).toThrow(RangeError)
		expect(() => createKeyward({ quota: { timeZone: 'Nowhere/Land' } })).toThrow(/quota/)
	})
})
