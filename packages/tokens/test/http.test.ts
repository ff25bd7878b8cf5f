import { createServer, request as httpRequest, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createKeyward } from '@keyward/core'
import { countBytesRead, ENDLESS_BODY_CAP, sendEndlessBody } from '@keyward/internal-testing'
import { decodeProtectedHeader } from 'jose'
import request from 'supertest'
import { beforeEach, describe, expect, it } from 'vitest'
import { frameworks } from './apps.js'
import { claimsAt, createFixture, type Fixture, forge, rejectionCases } from './support.js'

describe.each(frameworks)('%s', (_name, build) => {
	let f: Fixture
	let app: RequestListener

	beforeEach(async () => {
		f = await createFixture()
		app = build(f)
	})

	async function mint(key = f.apiKey, path = '/token') {
		const res = await request(app).post(path).set('Authorization', `Apikey ${key}`)
		expect(res.status).toBe(200)
		return res.body.access_token as string
	}

	describe('POST /token', () => {
		it('trades an API key for a token that passes tokenAuth and requireScopes', async () => {
			const res = await request(app).post('/token').set('Authorization', `Apikey ${f.apiKey}`)
			expect(res.status).toBe(200)
			expect(res.headers['cache-control']).toBe('no-store')
			expect(res.body).toEqual({
				access_token: expect.any(String),
				token_type: 'Bearer',
				expires_in: 300,
				scope: 'reports:read users:*',
			})
			expect(decodeProtectedHeader(res.body.access_token)).toEqual({ alg: 'EdDSA', kid: 'k1', typ: 'at+jwt' })

			const info = (await f.keyward.listKeys())[0]
			const ok = await request(app).get('/reports').set('Authorization', `Bearer ${res.body.access_token}`)
			expect(ok.status).toBe(200)
			expect(ok.body).toEqual({
				owner: 'acme',
				keyId: info?.id,
				scopes: ['reports:read', 'users:*'],
				jti: expect.any(String),
			})
		})

		it('reads the key wherever apiKeyAuth reads it (header, x-api-key, query)', async () => {
			expect((await request(app).post('/token').set('x-api-key', f.apiKey)).status).toBe(200)
			expect((await request(app).post(`/token?api_key=${f.apiKey}`)).status).toBe(200)
		})

		it('narrows scopes from a JSON, form or pre-parsed body', async () => {
			const auth = `Apikey ${f.apiKey}`
			const json = await request(app).post('/token').set('Authorization', auth).send({ scope: 'users:read' })
			expect(json.body.scope).toBe('users:read')
			const list = await request(app)
				.post('/token')
				.set('Authorization', auth)
				.send({ scopes: ['users:read', 'reports:read'] })
			expect(list.body.scope).toBe('users:read reports:read')
			const form = await request(app)
				.post('/token')
				.set('Authorization', auth)
				.type('form')
				.send('scope=users%3Aread+users%3Awrite')
			expect(form.body.scope).toBe('users:read users:write')
			const parsed = await request(app)
				.post('/token-parsed')
				.set('Authorization', auth)
				.send({ scope: 'reports:read' })
			expect(parsed.body.scope).toBe('reports:read')

			const narrowed = await request(app)
				.get('/reports')
				.set('Authorization', `Bearer ${json.body.access_token}`)
			expect(narrowed.status).toBe(403)
			expect(narrowed.body.code).toBe('insufficient_scope')
		})

		it('never widens scopes: asking for more than the key grants is 403 and costs no quota', async () => {
			const { key } = await f.keyward.createKey({ owner: 'acme', scopes: ['users:*'], monthlyQuota: 1 })
			for (const scope of ['reports:read', '*', 'users:* reports:read', 'usersx']) {
				const res = await request(app).post('/token').set('Authorization', `Apikey ${key}`).send({ scope })
				expect(res.status).toBe(403)
				expect(res.body).toEqual({ detail: 'Insufficient scope', code: 'insufficient_scope' })
			}
			expect((await f.keyward.usage(key)).used).toBe(0)
			const ok = await request(app)
				.post('/token')
				.set('Authorization', `Apikey ${key}`)
				.send({ scope: 'users:delete' })
			expect(ok.body.scope).toBe('users:delete')
		})

		it('answers a bad body with 400 invalid_request, but only for a good key, and without charging it', async () => {
			const { key } = await f.keyward.createKey({ owner: 'acme', scopes: ['users:*'], monthlyQuota: 5 })
			const bodies: [string, string][] = [
				['text/plain', 'scope=users:read'],
				['application/json', '{"scope": 42}'],
				['application/json', '{"scope": "a", "scopes": ["a"]}'],
				['application/json', '{"scopes": ["bad scope"]}'],
				['application/json', '[1, 2'],
				['application/x-www-form-urlencoded', 'scope=a&scope=b'],
				['application/json', JSON.stringify({ scope: 'x'.repeat(10_000) })],
			]
			for (const [type, body] of bodies) {
				const res = await request(app)
					.post('/token')
					.set('Authorization', `Apikey ${key}`)
					.type(type)
					.send(body)
				expect(res.status, body).toBe(400)
				expect(res.body.code).toBe('invalid_request')
				const anonymous = await request(app).post('/token').type(type).send(body)
				expect(anonymous.status).toBe(401)
				expect(anonymous.body).toEqual({ detail: 'Not authenticated', code: 'missing' })
			}
			expect((await f.keyward.usage(key)).used).toBe(0)
		})

		it('stops reading an endless body: 400 after a bounded read, and the connection closes', async () => {
			const server = createServer(app)
			await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
			try {
				const bytesRead = countBytesRead(server)
				const outcome = await sendEndlessBody((server.address() as AddressInfo).port, '/token', {
					authorization: `Apikey ${f.apiKey}`,
					'content-type': 'application/json',
				})
				expect(outcome.status).toBe(400)
				expect(outcome.answer).toMatch(/\r\nconnection: close\r\n/i)
				expect(bytesRead()).toBeLessThan(4 * 1024 * 1024)
				expect(outcome.sent).toBeLessThan(ENDLESS_BODY_CAP)
			} finally {
				server.closeAllConnections()
				await new Promise((resolve) => server.close(resolve))
			}
		})

		it('counts each token against the monthly quota and refuses when it is used up', async () => {
			const { key } = await f.keyward.createKey({ owner: 'acme', scopes: ['users:*'], monthlyQuota: 2 })
			const first = await request(app).post('/token').set('Authorization', `Apikey ${key}`)
			expect(first.headers.ratelimit).toMatch(/r=1/)
			await mint(key)
			const over = await request(app).post('/token').set('Authorization', `Apikey ${key}`)
			expect(over.status).toBe(429)
			expect(over.body).toEqual({ detail: 'Monthly quota exceeded', code: 'quota_exceeded' })
			expect(Number(over.headers['retry-after'])).toBeGreaterThan(0)
		})

		it('refuses a revoked key', async () => {
			await f.keyward.revokeKey(f.apiKey)
			const res = await request(app).post('/token').set('Authorization', `Apikey ${f.apiKey}`)
			expect(res.status).toBe(401)
			expect(res.body).toEqual({ detail: 'API key has been revoked', code: 'revoked' })
		})

		it('answers a failing key exactly like apiKeyAuth', async () => {
			const { key: limited } = await f.keyward.createKey({ owner: 'acme', monthlyQuota: 1 })
			await mint(limited)
			const { key: revoked } = await f.keyward.createKey({ owner: 'acme' })
			await f.keyward.revokeKey(revoked)
			const { key: unknown } = await createKeyward().createKey({ owner: 'elsewhere' })
			const credentials: Record<string, string>[] = [
				{},
				{ authorization: 'Apikey kw_nope' },
				{ authorization: `Apikey ${unknown}` },
				{ authorization: `Apikey ${revoked}` },
				{ 'x-api-key': f.apiKey, authorization: `Apikey ${revoked}` },
			]
			for (const headers of credentials) {
				const viaToken = await request(app).post('/token').set(headers)
				const viaKey = await request(app).get('/keyed').set(headers)
				expect(viaToken.status).toBe(viaKey.status)
				expect(viaToken.body).toEqual(viaKey.body)
				expect(viaToken.headers['www-authenticate']).toBe(viaKey.headers['www-authenticate'])
			}
			// Over quota: /keyed would consume too, so compare with a twin key in the same state.
			const { key: twin } = await f.keyward.createKey({ owner: 'acme', monthlyQuota: 1 })
			await request(app).get('/keyed').set('Authorization', `Apikey ${twin}`)
			const viaToken = await request(app).post('/token').set('Authorization', `Apikey ${limited}`)
			const viaKey = await request(app).get('/keyed').set('Authorization', `Apikey ${twin}`)
			expect([viaToken.status, viaToken.body]).toEqual([viaKey.status, viaKey.body])
			expect(viaToken.headers['retry-after']).toBe(viaKey.headers['retry-after'])
			expect(viaToken.headers.ratelimit).toBe(viaKey.headers.ratelimit)
		})

		it('never outlives the API key, and honours a shorter endpoint lifetime', async () => {
			const { key } = await f.keyward.createKey({ owner: 'acme', expiresIn: 90_500 })
			const res = await request(app).post('/token').set('Authorization', `Apikey ${key}`)
			expect(res.body.expires_in).toBe(90)
			const short = await request(app).post('/token-short').set('Authorization', `Apikey ${f.apiKey}`)
			expect(short.body.expires_in).toBe(60)
		})
	})

	it('serves the JWKS: signing and next public keys, nothing private', async () => {
		const res = await request(app).get('/.well-known/jwks.json')
		expect(res.status).toBe(200)
		expect(res.headers['cache-control']).toBe('public, max-age=60')
		expect(res.body.keys.map((k: { kid: string }) => k.kid)).toEqual(['k1', 'k2'])
		for (const jwk of res.body.keys) {
			expect(jwk).not.toHaveProperty('d')
			expect(jwk.use).toBe('sig')
		}
	})

	describe('tokenAuth', () => {
		it.each(rejectionCases(() => f))('refuses: $name', async (c) => {
			const token = await c.token()
			const req = request(app).get('/strict')
			const res = token === undefined ? await req : await req.set('Authorization', `Bearer ${token}`)
			expect([c.name, res.status, res.body.code]).toEqual([c.name, c.status, c.code])
			expect(res.headers['content-type']).toMatch(/^application\/json/)
			expect(Object.keys(res.body).sort()).toEqual(['code', 'detail'])
			const challenge = res.headers['www-authenticate']
			expect(challenge).toMatch(/^Bearer realm="api"/)
			if (c.error === null) expect(challenge).not.toMatch(/error=/)
			else expect(challenge).toContain(`error="${c.error}"`)
		})

		it('lets requireScopes refuse an under-scoped token with 403', async () => {
			const token = await forge(f.signing, claimsAt(f.clock.ms, { scope: 'users:read' }))
			const res = await request(app).get('/reports').set('Authorization', `Bearer ${token}`)
			expect(res.status).toBe(403)
			expect(res.body).toEqual({ detail: 'Insufficient scope', code: 'insufficient_scope' })
		})

		it('accepts the scheme in any case and surrounding spaces', async () => {
			const token = await mint()
			const res = await request(app).get('/strict').set('Authorization', `bEaReR   ${token}  `)
			expect(res.status).toBe(200)
		})

		it('treats an API key (another scheme) as no token, and an empty bearer as invalid', async () => {
			const apikey = await request(app).get('/strict').set('Authorization', `Apikey ${f.apiKey}`)
			expect([apikey.status, apikey.body.code]).toEqual([401, 'missing'])
			const empty = await request(app).get('/strict').set('Authorization', 'Bearer ')
			expect([empty.status, empty.body.code]).toEqual([401, 'invalid_token'])
		})

		it('refuses two Authorization headers', async () => {
			const token = await mint()
			const server = createServer(app)
			await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
			try {
				const { port } = server.address() as AddressInfo
				const status = await new Promise<number>((resolve, reject) => {
					const req = httpRequest({ host: '127.0.0.1', port, path: '/strict' }, (res) => {
						res.resume()
						resolve(res.statusCode ?? 0)
					})
					req.setHeader('Authorization', [`Bearer ${token}`, 'Bearer other'])
					req.on('error', reject)
					req.end()
				})
				expect(status).toBe(401)
			} finally {
				await new Promise((resolve) => server.close(resolve))
			}
		})

		it('with optional: lets a request without token through, still refuses a bad one', async () => {
			expect((await request(app).get('/optional')).body).toEqual({ owner: null })
			const bad = await request(app).get('/optional').set('Authorization', 'Bearer a.b.c')
			expect(bad.status).toBe(401)
			const good = await request(app)
				.get('/optional')
				.set('Authorization', `Bearer ${await mint()}`)
			expect(good.body).toEqual({ owner: 'acme' })
		})

		it('accepts a token within the clock tolerance and refuses it after', async () => {
			const token = await mint()
			f.clock.advance(300_000 + 4_000)
			expect((await request(app).get('/strict').set('Authorization', `Bearer ${token}`)).status).toBe(200)
			f.clock.advance(2_000)
			const late = await request(app).get('/strict').set('Authorization', `Bearer ${token}`)
			expect([late.status, late.body.code]).toEqual([401, 'expired'])
		})

		it('keeps working for tokens of a revoked key until they expire (offline by design)', async () => {
			const token = await mint()
			await f.keyward.revokeKey(f.apiKey)
			expect((await request(app).get('/strict').set('Authorization', `Bearer ${token}`)).status).toBe(200)
		})
	})
})
