import { describe, expect, it } from 'vitest'
import { createKeyward } from '../src/keyward.js'
import { setup } from './helpers.js'

describe('failure limit', () => {
	it('refuses a client after max failed attempts until its window ends, even with a valid key', async () => {
		const { keyward, time } = setup({ failureLimit: { max: 3, windowMs: 60_000 } })
		const { key } = await keyward.createKey({ owner: 'a' })
		for (let i = 0; i < 3; i++)
			expect(await keyward.verifyKey('kw_guess', { client: '10.0.0.1' })).toMatchObject({ code: 'malformed' })
		const blocked = await keyward.verifyKey(key, { client: '10.0.0.1' })
		expect(blocked).toMatchObject({
			ok: false,
			status: 429,
			code: 'too_many_failures',
			detail: 'Too many failed attempts',
		})
		expect(blocked.headers).toEqual({ 'Retry-After': '60' })
		expect((await keyward.verifyKey(key, { client: '10.0.0.2' })).ok).toBe(true)
		time.advance(60_000)
		expect((await keyward.verifyKey(key, { client: '10.0.0.1' })).ok).toBe(true)
	})

	it('counts guessing codes from extraction too, but not missing credentials or scope/quota refusals', async () => {
		const { keyward } = setup({ failureLimit: { max: 2 } })
		const { key } = await keyward.createKey({ owner: 'a', scopes: [], monthlyQuota: 0 })
		for (let i = 0; i < 5; i++) {
			await keyward.verify({ headers: {}, url: '/' }, { client: 'c' })
			await keyward.verifyKey(key, { client: 'c', scopes: ['x'] })
			await keyward.verifyKey(key, { client: 'c' })
		}
		expect(await keyward.verifyKey(key, { client: 'c' })).toMatchObject({ code: 'quota_exceeded' })
		await keyward.verify({ headers: { 'x-api-key': 'a' }, url: '/?api_key=b' }, { client: 'c' })
		await keyward.verify({ headers: { authorization: 'Apikey' }, url: '/' }, { client: 'c' })
		expect(await keyward.verifyKey(key, { client: 'c' })).toMatchObject({ code: 'too_many_failures' })
	})

	it('is off by default and ignores requests without a client', async () => {
		const keyward = createKeyward()
		expect(keyward.limitsFailures).toBe(false)
		for (let i = 0; i < 50; i++)
			expect(await keyward.verifyKey('bad', { client: 'c' })).toMatchObject({ code: 'malformed' })
		const limited = createKeyward({ failureLimit: { max: 1 } })
		expect(limited.limitsFailures).toBe(true)
		for (let i = 0; i < 5; i++) expect(await limited.verifyKey('bad')).toMatchObject({ code: 'malformed' })
	})
})
