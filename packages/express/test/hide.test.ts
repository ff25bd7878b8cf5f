import { createKeyward } from '@keyward/core'
import { expectRefusal, secret, send, serve, tamper, useHarness } from '@keyward/internal-testing'
import express, { type RequestHandler } from 'express'
import { beforeAll, describe, expect, it } from 'vitest'
import { apiKeyAuth } from '../src/index.js'
import { type Hit, record, recordErrors, serveApp, snapshot, type TestApp } from './app.js'

useHarness()

const keyward = createKeyward()
let key: string

beforeAll(async () => {
	key = secret((await keyward.createKey({ owner: 'acme' })).key)
})

/** Logs at 'finish', as morgan or pino-http do, so it also sees requests that auth refused. */
function finishLogger(lines: Hit[]): RequestHandler {
	return function logOnFinish(req, res, next) {
		res.on('finish', () => lines.push(snapshot(req)))
		next()
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

	it('removes the key from req.url, req.originalUrl and req.query, keeping other parameters', async () => {
		expect((await send(app.server, `/items?a=1&api_key=${key}&b=2`)).status).toBe(200)
		const hit = app.hits.at(-1)
		expect(hit?.url).toBe('/items?a=1&b=2')
		expect(hit?.originalUrl).toBe('/items?a=1&b=2')
		expect(hit?.query).toStrictEqual({ a: '1', b: '2' })
		expect(mentions(hit, key)).toBe(false)
	})

	it('leaves the headers alone', async () => {
		expect((await send(app.server, '/', { 'x-api-key': key })).status).toBe(200)
		expect(app.hits.at(-1)?.headers['x-api-key']).toBe(key)
	})

	it('hides a refused key from a logger that runs when the response finishes', async () => {
		const lines: Hit[] = []
		const target = await serveApp(finishLogger(lines), apiKeyAuth(keyward, { optional: true }))
		const bad = tamper(key)
		expectRefusal(await send(target.server, `/x?api_key=${bad}&page=2`), 'malformed')
		expectRefusal(await send(target.server, `/x?api_key=${key}&api_key=${bad}`), 'ambiguous')
		await expect.poll(() => lines.length).toBe(2)
		expect(lines.map((line) => line.originalUrl)).toStrictEqual(['/x?page=2', '/x'])
		expect(lines[0]?.query).toStrictEqual({ page: '2' })
		for (const line of lines) expect(mentions(line, bad) || mentions(line, key)).toBe(false)
	})

	it('hides the key from an error handler', async () => {
		const errors: TestApp['errors'] = []
		const app = express()
		app.use(apiKeyAuth(keyward))
		app.get('/boom', () => {
			throw new Error('boom')
		})
		app.use(recordErrors(errors))
		const server = await serve(app)
		expect((await send(server, `/boom?api_key=${key}&q=1`)).status).toBe(500)
		const seen = errors[0]?.seen
		expect(seen?.originalUrl).toBe('/boom?q=1')
		expect(seen?.query).toStrictEqual({ q: '1' })
		expect(mentions(seen, key)).toBe(false)
	})

	it('keeps originalUrl and url apart under a mounted router', async () => {
		const hits: Hit[] = []
		const app = express()
		const router = express.Router()
		router.use(apiKeyAuth(keyward))
		router.get('/items', record(hits))
		app.use('/api', router)
		app.use(record(hits))
		const server = await serve(app)
		expect((await send(server, `/api/items?api_key=${key}&b=2`)).status).toBe(200)
		expect(hits[0]?.url).toBe('/items?b=2')
		expect(hits[0]?.originalUrl).toBe('/api/items?b=2')
		expect(hits[0]?.query).toStrictEqual({ b: '2' })
		// Leaving the router restores req.url from the stripped copy.
		expect((await send(server, `/api/other?b=3&api_key=${key}`)).status).toBe(200)
		expect(hits[1]?.url).toBe('/api/other?b=3')
		expect(hits[1]?.originalUrl).toBe('/api/other?b=3')
		expect(hits[1]?.apiKey).toBeDefined()
		expect(mentions(hits[0], key) || mentions(hits[1], key)).toBe(false)
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
	it('leaves url, originalUrl, query and headers untouched', async () => {
		const app = await serveApp(apiKeyAuth(keyward, { hideCredentials: false }))
		expect((await send(app.server, `/?api_key=${key}&b=2`)).status).toBe(200)
		expect((await send(app.server, '/', { 'x-api-key': key })).status).toBe(200)
		const [byQuery, byHeader] = app.hits
		expect(byQuery?.url).toBe(`/?api_key=${key}&b=2`)
		expect(byQuery?.originalUrl).toBe(`/?api_key=${key}&b=2`)
		expect(byQuery?.query).toStrictEqual({ api_key: key, b: '2' })
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
