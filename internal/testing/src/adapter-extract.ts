import { createKeyward, type KeyInfo } from '@keyward/core'
import { beforeAll, describe, expect, it } from 'vitest'
import type { AppBuilder, AuthApp } from './adapter-app.js'
import { expectRefusal, secret, send, sendRaw } from './adapter-harness.js'

/** How an adapter takes part in {@link describeAdapterExtraction}. */
export interface ExtractingAdapter<M, Skip> extends AppBuilder<M, Skip> {
	/** Where a handler finds the key, as test titles name it: `'req.apiKey'`, `'ctx.state.apiKey'`. */
	readonly keyAt: string
}

/**
 * Extraction suite shared by the adapters: the places a key is read from (Authorization: Apikey,
 * x-api-key, the api_key query parameter), trimming, other schemes ignored, conflicting
 * credentials refused as ambiguous, and what a handler gets on success. Call `useHarness()` in
 * the test file too.
 */
export function describeAdapterExtraction<M, Skip>(adapter: ExtractingAdapter<M, Skip>): void {
	const { apiKeyAuth, serveApp } = adapter
	const keyward = createKeyward()
	let app: AuthApp
	let key: string
	let other: string
	let info: KeyInfo

	beforeAll(async () => {
		app = await serveApp(apiKeyAuth(keyward))
		const created = await keyward.createKey({ owner: 'acme', name: 'CI', scopes: ['read:*'] })
		key = secret(created.key)
		info = created.info
		other = secret((await keyward.createKey({ owner: 'acme' })).key)
	})

	/** Send the request, check that it reached the handler, and return what the handler saw. */
	async function reaches(path: string, headers: Record<string, string>) {
		const before = app.hits.length
		const answer = await send(app.server, path, headers)
		expect(answer.status).toBe(200)
		expect(app.hits.length).toBe(before + 1)
		return app.hits.at(-1)
	}

	describe('extraction sources', () => {
		it.each(['Apikey', 'APIKEY', 'apikey'])('Authorization: %s <key>', async (scheme) => {
			expect((await reaches('/', { authorization: `${scheme} ${key}` }))?.apiKey?.id).toBe(info.id)
		})

		it('x-api-key header', async () => {
			expect((await reaches('/', { 'x-api-key': key }))?.apiKey?.id).toBe(info.id)
		})

		it('api_key query parameter', async () => {
			expect((await reaches(`/?api_key=${key}`, {}))?.apiKey?.id).toBe(info.id)
		})

		it('trims whitespace around a pasted key', async () => {
			expect((await reaches('/', { authorization: `Apikey \t ${key} \t` }))?.apiKey?.id).toBe(info.id)
			expect((await reaches(`/?api_key=%20${key}%09`, {}))?.apiKey?.id).toBe(info.id)
			const raw = await sendRaw(app.server, '/', [`x-api-key:   ${key}\t `])
			expect(raw.status).toBe(200)
		})

		it('ignores an Authorization header with another scheme', async () => {
			expectRefusal(await send(app.server, '/', { authorization: 'Bearer xyz' }), 'missing')
			const hit = await reaches('/', { authorization: 'Bearer xyz', 'x-api-key': key })
			expect(hit?.apiKey?.id).toBe(info.id)
		})

		it('accepts the same key given in two places', async () => {
			expect((await reaches(`/?api_key=${key}`, { 'x-api-key': key }))?.apiKey?.id).toBe(info.id)
			expect((await reaches('/', { 'x-api-key': key, authorization: `Apikey ${key}` }))?.apiKey?.id).toBe(
				info.id,
			)
		})
	})

	describe('conflicting credentials are ambiguous', () => {
		it('different keys in header and query', async () => {
			expectRefusal(await send(app.server, `/?api_key=${other}`, { 'x-api-key': key }), 'ambiguous')
			expectRefusal(
				await send(app.server, '/', { authorization: `Apikey ${other}`, 'x-api-key': key }),
				'ambiguous',
			)
		})

		it('a repeated query parameter, even with one key twice', async () => {
			expectRefusal(await send(app.server, `/?api_key=${key}&api_key=${other}`), 'ambiguous')
			expectRefusal(await send(app.server, `/?api_key=${key}&api_key=${key}`), 'ambiguous')
		})

		it('two Authorization: Apikey headers (raw socket)', async () => {
			const answer = await sendRaw(app.server, '/', [
				`Authorization: Apikey ${key}`,
				`Authorization: Apikey ${other}`,
			])
			expectRefusal(answer, 'ambiguous')
		})

		it('two x-api-key headers (raw socket)', async () => {
			expectRefusal(await sendRaw(app.server, '/', [`x-api-key: ${key}`, `X-Api-Key: ${other}`]), 'ambiguous')
		})
	})

	describe('success', () => {
		it(`sets ${adapter.keyAt} to the public KeyInfo and calls next()`, async () => {
			const hit = await reaches('/', { 'x-api-key': key })
			expect(hit?.apiKey).toStrictEqual(info)
			expect(hit?.apiKey).toMatchObject({ id: info.id, owner: 'acme', scopes: ['read:*'] })
			expect(hit?.apiKey).not.toHaveProperty('hash')
		})

		it('sends RateLimit headers only for keys with a quota', async () => {
			const plain = await send(app.server, '/', { 'x-api-key': key })
			expect(plain.headers.ratelimit).toBeUndefined()
			expect(plain.headers['ratelimit-policy']).toBeUndefined()
			const limited = secret((await keyward.createKey({ owner: 'acme', monthlyQuota: 100 })).key)
			const answer = await send(app.server, '/', { 'x-api-key': limited })
			expect(answer.status).toBe(200)
			expect(answer.headers.ratelimit).toMatch(/^"monthly";r=99;t=\d+$/)
			expect(answer.headers['ratelimit-policy']).toMatch(/^"monthly";q=100;w=\d+$/)
		})
	})
}
