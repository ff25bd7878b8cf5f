import { createKeyward, type Keyward, type UsageCounter } from '@keyward/core'
import { failingStore } from '@keyward/core/testing'
import { beforeAll, describe, expect, it } from 'vitest'
import type { AppBuilder, AuthApp } from './adapter-app.js'
import { expectRefusal, hangingStore, secret, send, tamper } from './adapter-harness.js'

/**
 * Status suite shared by the adapters: every refusal of core's table (401, 403, 429, 503) with
 * its exact body and headers, through `apiKeyAuth` and `requireScopes`, and nothing reaching the
 * handler behind a refusal. Call `useHarness()` in the test file too.
 */
export function describeAdapterStatus<M, Skip>(adapter: AppBuilder<M, Skip>): void {
	const { apiKeyAuth, requireScopes, serveApp } = adapter
	// One minute before December 2026 (UTC): Retry-After and the RateLimit reset are then exact.
	const NOW = Date.UTC(2026, 10, 30, 23, 59, 0)
	const keyward: Keyward = createKeyward({ now: () => NOW })
	let app: AuthApp
	let reader: string

	beforeAll(async () => {
		app = await serveApp(apiKeyAuth(keyward))
		reader = secret((await keyward.createKey({ owner: 'acme', scopes: ['read:*'] })).key)
	})

	/** Send the request and check that it did not reach the handler. */
	async function refused(target: AuthApp, path: string, headers: Record<string, string>) {
		const before = target.hits.length
		const answer = await send(target.server, path, headers)
		expect(target.hits.length).toBe(before)
		return answer
	}

	describe('status table', () => {
		it('401 missing without credentials', async () => {
			expectRefusal(await refused(app, '/', {}), 'missing')
		})

		it('401 malformed for a bad checksum or a made-up key', async () => {
			expectRefusal(await refused(app, '/', { 'x-api-key': tamper(reader) }), 'malformed')
			expectRefusal(await refused(app, '/', { 'x-api-key': 'hunter2' }), 'malformed')
		})

		it('401 invalid for a well-formed key this keyward never issued', async () => {
			const stranger = secret((await createKeyward().createKey({ owner: 'other' })).key)
			expectRefusal(await refused(app, '/', { 'x-api-key': stranger }), 'invalid')
		})

		it('401 revoked', async () => {
			const { key, info } = await keyward.createKey({ owner: 'acme' })
			secret(key)
			expect((await send(app.server, '/', { 'x-api-key': key })).status).toBe(200)
			await keyward.revokeKey(info.id)
			expectRefusal(await refused(app, '/', { 'x-api-key': key }), 'revoked')
		})

		it('401 expired once the clock passes expiresAt', async () => {
			let time = NOW
			const timed = createKeyward({ now: () => time })
			const target = await serveApp(apiKeyAuth(timed))
			const key = secret((await timed.createKey({ owner: 'acme', expiresIn: 60_000 })).key)
			expect((await send(target.server, '/', { 'x-api-key': key })).status).toBe(200)
			time += 60_000
			expectRefusal(await refused(target, '/', { 'x-api-key': key }), 'expired')
		})

		it('401 ambiguous for two different keys', async () => {
			const other = secret((await keyward.createKey({ owner: 'acme' })).key)
			expectRefusal(await refused(app, `/?api_key=${other}`, { 'x-api-key': reader }), 'ambiguous')
		})

		it('401 wrong_environment for a live key on a test verifier', async () => {
			const testing = createKeyward({ environment: 'test' })
			const target = await serveApp(apiKeyAuth(testing))
			const live = secret((await createKeyward({ environment: 'live' }).createKey({ owner: 'acme' })).key)
			expectRefusal(await refused(target, '/', { 'x-api-key': live }), 'wrong_environment')
		})

		it('403 insufficient_scope through apiKeyAuth({ scopes })', async () => {
			const target = await serveApp(apiKeyAuth(keyward, { scopes: ['admin'] }))
			expectRefusal(await refused(target, '/', { 'x-api-key': reader }), 'insufficient_scope')
			const admin = secret((await keyward.createKey({ owner: 'acme', scopes: ['admin'] })).key)
			expect((await send(target.server, '/', { 'x-api-key': admin })).status).toBe(200)
		})

		it('403 insufficient_scope through requireScopes after apiKeyAuth', async () => {
			const target = await serveApp(apiKeyAuth(keyward), requireScopes('admin'))
			expectRefusal(await refused(target, '/', { 'x-api-key': reader }), 'insufficient_scope')
			const wildcard = await serveApp(apiKeyAuth(keyward), requireScopes('read:users', 'read:orders'))
			expect((await send(wildcard.server, '/', { 'x-api-key': reader })).status).toBe(200)
		})

		it('401 missing from requireScopes without apiKeyAuth', async () => {
			const target = await serveApp(requireScopes('admin'))
			expectRefusal(await refused(target, '/', { 'x-api-key': reader }), 'missing')
		})

		it('429 quota_exceeded after monthlyQuota requests, with Retry-After and RateLimit headers', async () => {
			const key = secret((await keyward.createKey({ owner: 'acme', monthlyQuota: 2 })).key)
			const policy = `"monthly";q=2;w=${30 * 24 * 3600}`
			const first = await send(app.server, '/', { 'x-api-key': key })
			expect(first.status).toBe(200)
			expect(first.headers.ratelimit).toBe('"monthly";r=1;t=60')
			expect(first.headers['ratelimit-policy']).toBe(policy)
			const second = await send(app.server, '/', { 'x-api-key': key })
			expect(second.status).toBe(200)
			expect(second.headers.ratelimit).toBe('"monthly";r=0;t=60')
			const third = await refused(app, '/', { 'x-api-key': key })
			expectRefusal(third, 'quota_exceeded')
			expect(third.headers['retry-after']).toBe('60')
			expect(third.headers.ratelimit).toBe('"monthly";r=0;t=60')
			expect(third.headers['ratelimit-policy']).toBe(policy)
		})

		it('rateLimitHeaders: false sends no RateLimit headers on a 200, and all of them on the 429', async () => {
			const quiet = createKeyward({ now: () => NOW, rateLimitHeaders: false })
			const target = await serveApp(apiKeyAuth(quiet))
			const key = secret((await quiet.createKey({ owner: 'acme', monthlyQuota: 1 })).key)
			const first = await send(target.server, '/', { 'x-api-key': key })
			expect(first.status).toBe(200)
			expect(first.headers.ratelimit).toBeUndefined()
			expect(first.headers['ratelimit-policy']).toBeUndefined()
			const second = await refused(target, '/', { 'x-api-key': key })
			expectRefusal(second, 'quota_exceeded')
			expect(second.headers['retry-after']).toBe('60')
			expect(second.headers.ratelimit).toBe('"monthly";r=0;t=60')
			expect(second.headers['ratelimit-policy']).toBe(`"monthly";q=1;w=${30 * 24 * 3600}`)
		})

		it('503 unavailable when the store throws', async () => {
			const target = await serveApp(apiKeyAuth(createKeyward({ store: failingStore() })))
			expectRefusal(await refused(target, '/', { 'x-api-key': reader }), 'unavailable')
		})

		it('503 unavailable when the store never answers', async () => {
			const stuck = createKeyward({ store: hangingStore(), storeTimeoutMs: 50 })
			const target = await serveApp(apiKeyAuth(stuck))
			expectRefusal(await refused(target, '/', { 'x-api-key': reader }), 'unavailable')
		})

		it('503 unavailable when the usage counter throws', async () => {
			const usage: UsageCounter = { consume: () => Promise.reject(new Error('redis down')) }
			const counted = createKeyward({ usage })
			const target = await serveApp(apiKeyAuth(counted))
			const key = secret((await counted.createKey({ owner: 'acme', monthlyQuota: 10 })).key)
			expectRefusal(await refused(target, '/', { 'x-api-key': key }), 'unavailable')
		})
	})
}
