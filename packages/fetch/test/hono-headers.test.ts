import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import { createKeyward, type Keyward, MemoryStore } from '@keyward/core'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { apiKeyAuth } from '../src/hono/index.js'

// Where the RateLimit headers of a verified request go: the Node response on @hono/node-server,
// `c.header()` everywhere else. Either way the client gets them, and the app's own header of the
// same name replaces keyward's.
const opened: Keyward[] = []
const servers: Server[] = []
afterEach(async () => {
	for (const server of servers.splice(0)) {
		server.closeAllConnections()
		await new Promise((resolve) => server.close(resolve))
	}
	for (const keyward of opened.splice(0)) await keyward.close()
})

/** `app` on @hono/node-server, listening on a free port. */
async function serve(app: Hono): Promise<Server> {
	const server = createServer(getRequestListener(app.fetch))
	servers.push(server)
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	return server
}

/** GET `path` from `server` over a socket, with `key` in X-API-Key. */
function get(server: Server, path: string, key: string): Promise<Response> {
	const { port } = server.address() as AddressInfo
	return fetch(`http://127.0.0.1:${port}${path}`, { headers: { 'x-api-key': key } })
}

async function appWithKey(): Promise<{ app: Hono; key: string }> {
	const keyward = createKeyward({ store: new MemoryStore(), history: false })
	opened.push(keyward)
	const { key } = await keyward.createKey({ owner: 'acme', monthlyQuota: 10 })
	const app = new Hono()
	app.use(apiKeyAuth(keyward))
	app.get('/json', (c) => c.json({ ok: true }))
	// A Response of the app's own, not made by `c`: Hono does not merge `c.header()` values into it.
	app.get('/raw', () => new Response('raw', { headers: { 'content-type': 'text/plain' } }))
	app.get('/own', (c) => c.json({ ok: true }, 200, { RateLimit: '"custom";r=1' }))
	app.get('/stream', () => new Response(new Blob(['streamed']).stream()))
	// Headers that cannot change: the answer is copied to carry keyward's.
	app.get('/redirect', () => Response.redirect('https://example.com/next', 302))
	return { app, key }
}

describe('Hono RateLimit headers', () => {
	it('on @hono/node-server reach the client for c.json, a raw Response and a stream', async () => {
		const { app, key } = await appWithKey()
		const server = await serve(app)
		for (const [i, path] of ['/json', '/raw', '/stream'].entries()) {
			const answer = await get(server, path, key)
			expect(answer.status, path).toBe(200)
			expect(answer.headers.get('ratelimit'), path).toMatch(new RegExp(`^"monthly";r=${9 - i};t=\\d+$`))
			expect(answer.headers.get('ratelimit-policy'), path).toMatch(/^"monthly";q=10;w=\d+$/)
			await answer.arrayBuffer()
		}
		const own = await get(server, '/own', key)
		expect(own.headers.get('ratelimit')).toBe('"custom";r=1')
		expect(own.headers.get('ratelimit-policy')).toMatch(/^"monthly";q=10;/)
	})

	it('through app.request (no Node response) are added to whatever Response the app answers', async () => {
		const { app, key } = await appWithKey()
		const json = await app.request('/json', { headers: { 'x-api-key': key } })
		expect(json.status).toBe(200)
		expect(json.headers.get('ratelimit')).toMatch(/^"monthly";r=9;t=\d+$/)
		expect(json.headers.get('ratelimit-policy')).toMatch(/^"monthly";q=10;w=\d+$/)
		for (const [i, path] of ['/raw', '/stream'].entries()) {
			const answer = await app.request(path, { headers: { 'x-api-key': key } })
			expect(answer.headers.get('ratelimit'), path).toMatch(new RegExp(`^"monthly";r=${8 - i};t=\\d+$`))
			expect(answer.headers.get('ratelimit-policy'), path).toMatch(/^"monthly";q=10;w=\d+$/)
			expect(await answer.text(), path).toMatch(/^(raw|streamed)$/)
		}
		const moved = await app.request('/redirect', { headers: { 'x-api-key': key } })
		expect(moved.status).toBe(302)
		expect(moved.headers.get('location')).toBe('https://example.com/next')
		expect(moved.headers.get('ratelimit')).toMatch(/^"monthly";r=6;t=\d+$/)
		const own = await app.request('/own', { headers: { 'x-api-key': key } })
		expect(own.headers.get('ratelimit')).toBe('"custom";r=1')
		expect(own.headers.get('ratelimit-policy')).toMatch(/^"monthly";q=10;/)
	})

	it('are not sent when the key is refused, on either path', async () => {
		const { app } = await appWithKey()
		const server = await serve(app)
		const answer = await get(server, '/json', 'kw_nope')
		expect(answer.status).toBe(401)
		expect(answer.headers.get('ratelimit')).toBeNull()
		const local = await app.request('/json', { headers: { 'x-api-key': 'kw_nope' } })
		expect(local.status).toBe(401)
		expect(local.headers.get('ratelimit')).toBeNull()
	})
})
