import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createKeyward, type KeyInfo, type Keyward, MemoryStore } from '@keyward/core'
import type { KeyManagementPolicy } from '@keyward/core/management'
import request from 'supertest'
import { afterAll, describe, expect, it } from 'vitest'
import type { HeaderReader, KeyRouterAdapter } from './adapter-key-router.js'
import { countBytesRead, ENDLESS_BODY_CAP, sendEndlessBody } from './endless-body.js'

const servers: Server[] = []

/**
 * `store` with every call answered a macrotask later, as a store across a network answers: without
 * it, an in-process store would hide races between reading and writing.
 */
export function withLatency<T extends object>(store: T): T {
	return new Proxy(store, {
		get(target, property, receiver) {
			const value: unknown = Reflect.get(target, property, receiver)
			if (typeof value !== 'function') return value
			return async (...args: unknown[]) => {
				await new Promise((resolve) => setImmediate(resolve))
				return value.apply(target, args)
			}
		},
	})
}

/** Serve `app` on 127.0.0.1; closed when the file ends. */
async function listen(app: RequestListener): Promise<number> {
	const server = createServer(app)
	servers.push(server)
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	return (server.address() as AddressInfo).port
}

/**
 * What an attacker can try against `keyManagementRouter`, for both adapters: requests a page of
 * another origin can make a signed-in browser send, concurrency against the per-owner limits,
 * caller-chosen metadata, piles of revoked keys, and endless request bodies.
 */
export function describeKeyManagementAttacks(adapter: KeyRouterAdapter): void {
	afterAll(async () => {
		for (const server of servers.splice(0)) {
			server.closeAllConnections()
			await new Promise((resolve) => server.close(resolve))
		}
	})

	function setup(
		options: Partial<KeyManagementPolicy<HeaderReader>> = {},
		keyward: Keyward = createKeyward({ store: withLatency(new MemoryStore()) }),
	) {
		const app = adapter.appFor(
			keyward,
			{ owner: (r) => r.get('x-user') || undefined, allowedScopes: ['read:*'], ...options },
			false,
		)
		return { keyward, app }
	}

	const json = { 'content-type': 'application/json' }

	describe(`keyManagementRouter under attack (${adapter.name})`, () => {
		it('changes nothing for what a page of another origin can make a browser send', async () => {
			const { keyward, app } = setup()
			const { info } = await keyward.createKey({ owner: 'alice' })
			// One server, so the router's own origin stays the same for every request.
			const self = `http://127.0.0.1:${await listen(app)}`
			const forged: [string, 'post' | 'delete', Record<string, string>, string | undefined][] = [
				// A cross-site HTML form: text/plain, urlencoded or multipart, any body.
				['/keys/revoke-all', 'post', { 'content-type': 'text/plain', origin: 'http://evil.example' }, ''],
				['/keys/revoke-all', 'post', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=b'],
				['/keys', 'post', { 'content-type': 'multipart/form-data; boundary=x' }, '--x--'],
				// fetch(..., { mode: 'no-cors' }) from the same site but another origin.
				['/keys/revoke-all', 'post', { 'content-type': 'text/plain', 'sec-fetch-site': 'same-site' }, '{}'],
				[
					'/keys/revoke-all',
					'post',
					{ ...json, origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site' },
					'{}',
				],
				['/keys/revoke-all', 'post', { ...json, 'sec-fetch-site': 'cross-site' }, '{}'],
				['/keys/revoke-all', 'post', { ...json, origin: 'null' }, '{}'],
				[`/keys/${info.id}`, 'delete', { origin: 'http://evil.example' }, undefined],
				[`/keys/${info.id}/revoke`, 'post', { ...json, origin: `${self}.evil.example` }, '{}'],
				[`/keys/${info.id}/rotate`, 'post', {}, undefined],
			]
			for (const [path, method, headers, body] of forged) {
				let req = request(self)[method](`/account${path}`).set('x-user', 'alice').set(headers)
				if (body !== undefined) req = req.send(body)
				const res = await req
				expect([path, method, res.status]).toEqual([path, method, expect.toBeOneOf([403, 415])])
				expect(['cross_origin', 'unsupported_media_type']).toContain(res.body.code)
			}
			expect(await keyward.listKeys({ owner: 'alice' })).toEqual([info])
			// The same calls from this site's own page, or from no browser at all, go through.
			const own = await request(self)
				.post('/account/keys/revoke-all')
				.set({ 'x-user': 'alice', ...json, origin: self, 'sec-fetch-site': 'same-origin' })
			expect([own.status, own.body]).toEqual([200, { revoked: 1 }])
		})

		it('lets pages of trustedOrigins change keys, and refuses malformed origin options', async () => {
			const { keyward, app } = setup({ trustedOrigins: ['https://app.example'] })
			await keyward.createKey({ owner: 'alice' })
			const res = await request(app)
				.post('/account/keys/revoke-all')
				.set({ 'x-user': 'alice', ...json, origin: 'https://app.example', 'sec-fetch-site': 'cross-site' })
			expect([res.status, res.body]).toEqual([200, { revoked: 1 }])
			const owner = () => 'x'
			expect(() => adapter.router(createKeyward(), { owner, trustedOrigins: ['app.example'] })).toThrow(
				/trustedOrigins/,
			)
			expect(() => adapter.router(createKeyward(), { owner, trustedOrigins: 'x' as never })).toThrow(
				/trustedOrigins/,
			)
		})

		it('never passes maxKeys under 40 concurrent creates', async () => {
			const { keyward, app } = setup({ maxKeys: 20 })
			for (let i = 0; i < 4; i++) await keyward.createKey({ owner: 'alice' })
			const answers = await Promise.all(
				Array.from({ length: 40 }, () => request(app).post('/account/keys').set('x-user', 'alice').send({})),
			)
			expect(answers.filter((a) => a.status === 201)).toHaveLength(16)
			for (const a of answers)
				if (a.status !== 201) expect([a.status, a.body.code]).toEqual([403, 'too_many_keys'])
			expect(await keyward.listKeys({ owner: 'alice' })).toHaveLength(20)
		})

		it('gives a key one successor under 5 concurrent rotations, and no second rotation', async () => {
			const { keyward, app } = setup()
			const { key, info } = await keyward.createKey({ owner: 'alice' })
			const rotate = (id: string) =>
				request(app).post(`/account/keys/${id}/rotate`).set('x-user', 'alice').send({ graceMs: 60_000 })
			const answers = await Promise.all(Array.from({ length: 5 }, () => rotate(info.id)))
			const winners = answers.filter((a) => a.status === 201)
			expect(winners).toHaveLength(1)
			for (const a of answers)
				if (a.status !== 201) expect([a.status, a.body.code]).toEqual([409, 'key_not_active'])
			const keys = await keyward.listKeys({ owner: 'alice' })
			expect(keys).toHaveLength(2)
			// The key in its grace period still works, but cannot be rotated again.
			expect((await keyward.verifyKey(key)).ok).toBe(true)
			expect((await rotate(info.id)).status).toBe(409)
			expect(await keyward.listKeys({ owner: 'alice' })).toHaveLength(2)
		})

		it('lets callers set only the metadata fields the policy allows', async () => {
			const closed = setup()
			const refused = await request(closed.app)
				.post('/account/keys')
				.set('x-user', 'alice')
				.send({ metadata: { role: 'admin' } })
			expect([refused.status, refused.body.code]).toEqual([403, 'metadata_not_allowed'])
			const open = setup({ allowedMetadata: ['team'] })
			const ok = await request(open.app)
				.post('/account/keys')
				.set('x-user', 'alice')
				.send({ metadata: { team: 'ops' } })
			expect([ok.status, ok.body.info.metadata]).toEqual([201, { team: 'ops' }])
			const mixed = await request(open.app)
				.post('/account/keys')
				.set('x-user', 'alice')
				.send({ metadata: { team: 'ops', role: 'admin' } })
			expect([mixed.status, mixed.body.code]).toEqual([403, 'metadata_not_allowed'])
			expect(await closed.keyward.listKeys()).toEqual([])
			expect((await open.keyward.listKeys()).map((k: KeyInfo) => k.metadata)).toEqual([{ team: 'ops' }])
		})

		it('keeps an owner’s listing small through create and revoke cycles', async () => {
			const { keyward, app } = setup({ maxKeys: 3, maxInactiveKeys: 5 })
			for (let i = 0; i < 60; i++) {
				const created = await request(app).post('/account/keys').set('x-user', 'alice').send({})
				expect(created.status).toBe(201)
				const id = created.body.info.id as string
				await request(app).post(`/account/keys/${id}/revoke`).set('x-user', 'alice').send({})
			}
			const listed = await request(app).get('/account/keys').set('x-user', 'alice')
			expect(listed.body.keys.length).toBeLessThanOrEqual(6)
			expect((await keyward.listKeys({ owner: 'alice' })).length).toBeLessThanOrEqual(6)
		})

		it('answers an endless body with 413 after reading a bounded amount, and closes', async () => {
			const { keyward, app } = setup()
			const port = await listen(app)
			const bytesRead = countBytesRead(servers.at(-1) as Server)
			const outcome = await sendEndlessBody(port, '/account/keys', {
				'x-user': 'alice',
				'content-type': 'application/json',
			})
			expect(outcome.status).toBe(413)
			// 16 KiB limit, plus what was in flight: far below what the client was willing to send.
			expect(bytesRead()).toBeLessThan(4 * 1024 * 1024)
			expect(outcome.sent).toBeLessThan(ENDLESS_BODY_CAP)
			expect(await keyward.listKeys()).toEqual([])
		})
	})
}
