import { createKeyward } from '@keyward/core'
import { expectRefusal, secret, send, serve, tamper, useHarness } from '@keyward/internal-testing'
import type { Middleware } from 'koa'
import { beforeAll, describe, expect, it } from 'vitest'
import { apiKeyAuth } from '../src/index.js'
import { createApp, type Hit, serveApp, snapshot, type TestApp } from './app.js'

useHarness()

const keyward = createKeyward()
let key: string

beforeAll(async () => {
	key = secret((await keyward.createKey({ owner: 'acme' })).key)
})

/** Logs once the rest of the chain is done, as koa-logger does, so it also sees refused requests. */
function logger(lines: Hit[]): Middleware {
	return async function logAfter(ctx, next) {
		try {
			await next()
		} finally {
			lines.push(snapshot(ctx))
		}
	}
}

function mentions(hit: Hit | undefined, text: string): boolean {
	return JSON.stringify(hit).includes(text)
}

describe("hideCredentials: 'query' (default)", () => {
	let app: TestApp
	beforeAll(async () => {
		app = await serveApp(apiKeyAuth(keyward))
	})

	it('removes the key from url, originalUrl, querystring, query, href and URL', async () => {
		expect((await send(app.server, `/items?a=1&api_key=${key}&b=2`)).status).toBe(200)
		const hit = app.hits.at(-1)
		expect(hit?.url).toBe('/items?a=1&b=2')
		expect(hit?.originalUrl).toBe('/items?a=1&b=2')
		expect(hit?.querystring).toBe('a=1&b=2')
		expect(hit?.query).toStrictEqual({ a: '1', b: '2' })
		expect(hit?.href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/items\?a=1&b=2$/)
		expect(hit?.URL).toBe(hit?.href)
		expect(mentions(hit, key)).toBe(false)
	})

	it('leaves the headers alone', async () => {
		expect((await send(app.server, '/', { 'x-api-key': key })).status).toBe(200)
		expect(app.hits.at(-1)?.headers['x-api-key']).toBe(key)
	})

	it('hides a refused key from a logger wrapped around authentication', async () => {
		const lines: Hit[] = []
		const target = await serveApp(logger(lines), apiKeyAuth(keyward, { optional: true }))
		const bad = tamper(key)
		expectRefusal(await send(target.server, `/x?api_key=${bad}&page=2`), 'malformed')
		expectRefusal(await send(target.server, `/x?api_key=${key}&api_key=${bad}`), 'ambiguous')
		expect(lines.map((line) => line.originalUrl)).toStrictEqual(['/x?page=2', '/x'])
		expect(lines[0]?.query).toStrictEqual({ page: '2' })
		expect(lines[0]?.href).toMatch(/\/x\?page=2$/)
		for (const line of lines) expect(mentions(line, bad) || mentions(line, key)).toBe(false)
	})

	it('rebuilds ctx.URL when it was read before authentication', async () => {
		const early: string[] = []
		const target = await serveApp(async (ctx, next) => {
			early.push(ctx.URL.search)
			await next()
		}, apiKeyAuth(keyward))
		expect((await send(target.server, `/?api_key=${key}&n=1`)).status).toBe(200)
		expect(early[0]).toContain('api_key=')
		expect(target.hits[0]?.URL).toMatch(/\/\?n=1$/)
	})

	it('hides the key from error handling', async () => {
		const errors: TestApp['errors'] = []
		const app = createApp(errors)
		app.use(apiKeyAuth(keyward))
		app.use(() => {
			throw new Error('boom')
		})
		const server = await serve(app.callback())
		expect((await send(server, `/boom?api_key=${key}&q=1`)).status).toBe(500)
		const seen = errors[0]?.seen
		expect(seen?.originalUrl).toBe('/boom?q=1')
		expect(seen?.querystring).toBe('q=1')
		expect(mentions(seen, key)).toBe(false)
	})
})

describe('hideCredentials: true', () => {
	it('also removes the header that carried the key, from headers and rawHeaders', async () => {
		const app = await serveApp(apiKeyAuth(keyward, { hideCredentials: true }))
		expect((await send(app.server, '/?z=9', { 'x-api-key': key, 'x-trace': 't1' })).status).toBe(200)
		expect((await send(app.server, '/', { authorization: `Apikey ${key}` })).status).toBe(200)
		expect((await send(app.server, `/?api_key=${key}`)).status).toBe(200)
		const [byHeader, byAuthorization, byQuery] = app.hits
		expect(byHeader?.headers).not.toHaveProperty('x-api-key')
		expect(byHeader?.headers['x-trace']).toBe('t1')
		expect(byHeader?.rawHeaders).toContain('t1')
		expect(byHeader?.query).toStrictEqual({ z: '9' })
		expect(byAuthorization?.headers).not.toHaveProperty('authorization')
		expect(byQuery?.url).toBe('/')
		for (const hit of app.hits) expect(mentions(hit, key)).toBe(false)
	})
})

describe('hideCredentials: false', () => {
	it('leaves url, originalUrl, querystring, query, href and headers untouched', async () => {
		const app = await serveApp(apiKeyAuth(keyward, { hideCredentials: false }))
		expect((await send(app.server, `/?api_key=${key}&b=2`)).status).toBe(200)
		expect((await send(app.server, '/', { 'x-api-key': key })).status).toBe(200)
		const [byQuery, byHeader] = app.hits
		expect(byQuery?.url).toBe(`/?api_key=${key}&b=2`)
		expect(byQuery?.originalUrl).toBe(`/?api_key=${key}&b=2`)
		expect(byQuery?.querystring).toBe(`api_key=${key}&b=2`)
		expect(byQuery?.query).toStrictEqual({ api_key: key, b: '2' })
		expect(byQuery?.href).toContain(key)
		expect(byHeader?.headers['x-api-key']).toBe(key)
		expect(byHeader?.rawHeaders).toContain(key)
	})

	it("follows the keyward's default when the adapter does not override it", async () => {
		const keeping = createKeyward({ hideCredentials: false })
		const own = secret((await keeping.createKey({ owner: 'acme' })).key)
		const app = await serveApp(apiKeyAuth(keeping))
		const strict = await serveApp(apiKeyAuth(keeping, { hideCredentials: 'query' }))
		expect((await send(app.server, `/?api_key=${own}`)).status).toBe(200)
		expect((await send(strict.server, `/?api_key=${own}`)).status).toBe(200)
		expect(app.hits[0]?.originalUrl).toBe(`/?api_key=${own}`)
		expect(strict.hits[0]?.originalUrl).toBe('/')
	})
})
