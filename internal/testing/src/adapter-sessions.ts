import type { RequestListener } from 'node:http'
import {
	createKeyward,
	type Keyward,
	keyPattern,
	MemoryStore,
	REJECTIONS,
	type RejectCode,
} from '@keyward/core'
import type { MiddlewareOptions, SessionCookieOptions } from '@keyward/core/adapter'
import request from 'supertest'
import { afterAll, describe, expect, it } from 'vitest'
import { CHALLENGE, tamper } from './adapter-harness.js'

/** What the apps of {@link describeAdapterSessions} are built with. */
export interface SessionAppOptions {
	/** Options of `sessionLogin` and `sessionLogout`. */
	readonly login?: SessionCookieOptions | undefined
	/** Options of `apiKeyAuth` in front of `/api`. @defaultValue `{ session: {} }` */
	readonly auth?: MiddlewareOptions<never> | undefined
	/** Run the host's own JSON and form body parsers before the handlers. */
	readonly hostParsers?: boolean | undefined
	/** Trust one proxy on loopback (`X-Forwarded-For`, `X-Forwarded-Proto`). */
	readonly behindProxy?: boolean | undefined
}

/** How an adapter takes part in {@link describeAdapterSessions}. */
export interface SessionAdapter {
	/** `'Express'`, `'Koa'` */
	readonly name: string
	/**
	 * An app with `POST /login` (`sessionLogin`), `POST /logout` (`sessionLogout`), and under
	 * `/api` `apiKeyAuth` followed by a handler answering 200 JSON `{ owner, keyId, method, url }`
	 * for every method (`url` as the handler sees it).
	 */
	appFor(keyward: Keyward, options: SessionAppOptions): RequestListener
	/** The adapter's exports, for the checks of options at start-up. */
	sessionLogin(keyward: Keyward, options?: SessionCookieOptions): unknown
	sessionLogout(keyward: Keyward, options?: SessionCookieOptions): unknown
	apiKeyAuth(keyward: Keyward, options?: MiddlewareOptions<never>): unknown
}

/** 2026-11-15T12:00:00Z, on a clock the tests move. */
const START = Date.UTC(2026, 10, 15, 12)
const HOUR = 3_600_000
const EVIL = 'https://evil.example'

/** The cookie a response sets, as `name=value` plus its attributes by name (lowercase). */
function setCookie(res: request.Response, name = 'kw_session') {
	const all = ([] as string[]).concat(res.headers['set-cookie'] ?? [])
	const line = all.find((cookie) => cookie.startsWith(`${name}=`))
	if (line === undefined) return undefined
	const [pair = '', ...rest] = line.split('; ')
	const attributes = Object.fromEntries(
		rest.map((attribute) => {
			const eq = attribute.indexOf('=')
			return eq === -1
				? [attribute.toLowerCase(), true]
				: [attribute.slice(0, eq).toLowerCase(), attribute.slice(eq + 1)]
		}),
	)
	return { pair, value: pair.slice(name.length + 1), attributes }
}

/**
 * Session suite shared by the adapters: logging in with a key by form and JSON, the cookie's
 * attributes, cookie-authenticated requests (the key's result, scopes and quota), the end of a
 * session with its key and on logout, cross-site refusals (CSRF), the `?api_key=` redirect, the
 * audit entry and the failure limit. No response ever carries key text.
 */
export function describeAdapterSessions(adapter: SessionAdapter): void {
	const responses: string[] = []
	const keys: string[] = []

	/** A keyward on a settable clock, its app, and helpers to log in and call the API. */
	function setup(options: SessionAppOptions = {}, keywardOptions: Parameters<typeof createKeyward>[0] = {}) {
		const time = { now: START }
		const store = new MemoryStore()
		const keyward = createKeyward({ store, now: () => time.now, ...keywardOptions })
		const app = adapter.appFor(keyward, { auth: { session: {} }, ...options })
		const seen = (res: request.Response) => {
			responses.push(`${JSON.stringify(res.headers)}\n${res.text}`)
			return res
		}
		const newKey = async (input: Parameters<Keyward['createKey']>[0] = { owner: 'acme' }) => {
			const created = await keyward.createKey(input)
			keys.push(created.key)
			return created
		}
		return {
			keyward,
			store,
			time,
			app,
			newKey,
			seen,
			async login(body: Record<string, string>, headers: Record<string, string> = {}, form = false) {
				const post = request(app).post('/login').set(headers)
				return seen(await (form ? post.type('form').send(body) : post.send(body)))
			},
			async api(cookie: string | undefined, method: 'get' | 'post' | 'delete' = 'get', headers = {}) {
				const call = request(app)[method]('/api/items').set(headers)
				return seen(await (cookie === undefined ? call : call.set('Cookie', cookie)))
			},
		}
	}

	function expectCode(res: request.Response, code: RejectCode): void {
		expect([res.status, res.body]).toEqual([
			REJECTIONS[code].status,
			{ detail: REJECTIONS[code].detail, code },
		])
	}

	afterAll(() => {
		expect(responses.length).toBeGreaterThan(0)
		for (const text of responses) {
			expect(text.match(keyPattern('kw', 'g'))).toBeNull()
			for (const key of keys) expect(text).not.toContain(key.slice(-24))
		}
	})

	describe(`sessions through the ${adapter.name} adapter`, () => {
		it('logs in with a form and with JSON, answering the session cookie and a small JSON body', async () => {
			const { login, newKey } = setup()
			const { key, info } = await newKey({ owner: 'acme', scopes: ['read:*'] })
			for (const form of [true, false]) {
				const res = await login({ api_key: key, username: 'acme' }, {}, form)
				expect(res.status).toBe(200)
				expect(res.headers['cache-control']).toBe('no-store')
				expect(res.body).toEqual({
					keyId: info.id,
					owner: 'acme',
					scopes: ['read:*'],
					expiresAt: new Date(START + 8 * HOUR).toISOString(),
				})
				expect(setCookie(res)?.value).toMatch(/^kws_[0-9A-Za-z]{38}$/)
			}
			const noUser = await login({ api_key: key })
			expect(noUser.status).toBe(200)
		})

		it('refuses a wrong username with a right key exactly like a wrong key', async () => {
			const { login, newKey } = setup()
			const { key } = await newKey()
			const stranger = await createKeyward().createKey({ owner: 'acme' })
			keys.push(stranger.key)
			const wrongUser = await login({ api_key: key, username: 'mallory' }, {}, true)
			const wrongKey = await login({ api_key: stranger.key, username: 'acme' }, {}, true)
			for (const res of [wrongUser, wrongKey]) {
				expectCode(res, 'invalid')
				expect(res.headers['www-authenticate']).toBe(CHALLENGE)
				expect(setCookie(res)).toBeUndefined()
			}
			const strip = (res: request.Response) => {
				const { date: _date, ...headers } = res.headers
				return { status: res.status, headers, text: res.text }
			}
			expect(strip(wrongUser)).toEqual(strip(wrongKey))
			expectCode(await login({ username: 'acme' }), 'missing')
		})

		it('sets the cookie HttpOnly, SameSite, with its path and a Max-Age that never outlives the key', async () => {
			const { login, newKey } = setup()
			const { key } = await newKey({ owner: 'acme', expiresIn: HOUR })
			const local = setCookie(await login({ api_key: key }))
			expect(local?.attributes).toEqual({ path: '/', 'max-age': '3600', httponly: true, samesite: 'Lax' })

			// Plain HTTP to another host than this machine: Secure, so the browser keeps it only over HTTPS.
			const remote = setCookie(await login({ api_key: key }, { Host: 'api.example' }))
			expect(remote?.attributes.secure).toBe(true)

			const custom = setup({ login: { cookie: 'sid', path: '/api', sameSite: 'strict', lifetimeMs: 60_000 } })
			const long = await custom.newKey()
			const res = await custom.login({ api_key: long.key })
			expect(setCookie(res, 'sid')?.attributes).toEqual({
				path: '/api',
				'max-age': '60',
				httponly: true,
				samesite: 'Strict',
			})
			expect(res.body.expiresAt).toBe(new Date(START + 60_000).toISOString())
		})

		it('marks the cookie Secure behind a trusted HTTPS proxy, and only a trusted one', async () => {
			const proxied = setup({ behindProxy: true })
			const { key } = await proxied.newKey()
			const https = { 'X-Forwarded-Proto': 'https', Host: 'localhost' }
			expect(setCookie(await proxied.login({ api_key: key }, https))?.attributes.secure).toBe(true)
			const direct = setup()
			const other = await direct.newKey()
			expect(setCookie(await direct.login({ api_key: other.key }, https))?.attributes.secure).toBeUndefined()
		})

		it('authenticates a request with the cookie: 200, the same key, and the quota counted', async () => {
			const { login, api, newKey, keyward } = setup()
			const { key, info } = await newKey({ owner: 'acme', monthlyQuota: 3 })
			const cookie = setCookie(await login({ api_key: key }))?.pair
			expect((await keyward.usage(info.id)).used).toBe(0)
			const res = await api(cookie)
			expect([res.status, res.body]).toEqual([
				200,
				{ owner: 'acme', keyId: info.id, method: 'GET', url: '/items' },
			])
			expect(res.headers.ratelimit).toMatch(/r=2/)
			expect((await keyward.usage(info.id)).used).toBe(1)
			expect((await api(undefined, 'get', { 'x-api-key': key })).headers.ratelimit).toMatch(/r=1/)
			expect((await api(cookie)).status).toBe(200)
			expectCode(await api(cookie), 'quota_exceeded')
			expect((await keyward.usage(info.id)).used).toBe(3)
		})

		it('refuses the cookie once its key is revoked: at once here, within cache.ttlMs elsewhere', async () => {
			const here = setup()
			const ttlMs = 10_000
			const elsewhere = adapter.appFor(
				createKeyward({ store: here.store, now: () => here.time.now, cache: { ttlMs } }),
				{ auth: { session: {} } },
			)
			const { key, info } = await here.newKey()
			const cookie = setCookie(await here.login({ api_key: key }))?.pair ?? ''
			const fromElsewhere = async () =>
				here.seen(await request(elsewhere).get('/api/items').set('Cookie', cookie))
			expect((await fromElsewhere()).status).toBe(200)
			await here.keyward.revokeKey(info.id)
			const refused = await here.api(cookie)
			expectCode(refused, 'revoked')
			// The session can never work again: the browser is told to drop the cookie.
			expect(setCookie(refused)?.attributes['max-age']).toBe('0')
			expect((await fromElsewhere()).status).toBe(200)
			here.time.now += ttlMs + 1
			expectCode(await fromElsewhere(), 'revoked')
		})

		it('ends sessions with the key’s scopes narrowed, its owner disabled, or its rotation’s grace over', async () => {
			const { login, api, newKey, keyward, time } = setup({ auth: { session: {}, scopes: ['write'] } })
			const { key, info } = await newKey({ owner: 'acme', scopes: ['read', 'write'] })
			const cookie = setCookie(await login({ api_key: key }))?.pair
			expect((await api(cookie)).status).toBe(200)
			await keyward.updateKey(info.id, { scopes: ['read'] })
			expectCode(await api(cookie), 'insufficient_scope')
			await keyward.updateKey(info.id, { scopes: ['read', 'write'] })
			await keyward.setOwner('acme', { disabled: true })
			expectCode(await api(cookie), 'owner_disabled')
			await keyward.setOwner('acme', { disabled: false })
			await keyward.rotateKey(info.id, { graceMs: HOUR })
			expect((await api(cookie)).status).toBe(200)
			time.now += HOUR
			expectCode(await api(cookie), 'expired')
		})

		it('refuses a cross-site change with the cookie, and lets the same request through with a key', async () => {
			const { login, api, newKey, keyward } = setup()
			const { key, info } = await newKey({ owner: 'acme', monthlyQuota: 100 })
			const cookie = setCookie(await login({ api_key: key }))?.pair
			const json = { 'Content-Type': 'application/json' }
			expectCode(await api(cookie, 'post', { Origin: EVIL, ...json }), 'cross_origin')
			expectCode(await api(cookie, 'delete', { 'Sec-Fetch-Site': 'cross-site' }), 'cross_origin')
			expectCode(await api(cookie, 'post', { 'Content-Type': 'text/plain' }), 'cross_origin')
			expectCode(
				await api(cookie, 'post', { 'Content-Type': 'application/x-www-form-urlencoded' }),
				'cross_origin',
			)
			expect((await keyward.usage(info.id)).used).toBe(0)
			expect((await api(cookie, 'post', json)).status).toBe(200)
			expect((await api(cookie, 'post', { 'X-Requested-With': 'fetch' })).status).toBe(200)
			expect((await api(cookie, 'get', { Origin: EVIL, 'Sec-Fetch-Site': 'cross-site' })).status).toBe(200)
			expect((await api(undefined, 'post', { Origin: EVIL, 'x-api-key': key })).status).toBe(200)
			const trusting = setup({ auth: { session: { trustedOrigins: ['https://app.example'] } } })
			const other = await trusting.newKey()
			const trustedCookie = setCookie(await trusting.login({ api_key: other.key }))?.pair
			const trusted = { Origin: 'https://app.example', 'Sec-Fetch-Site': 'same-site', ...json }
			expect((await trusting.api(trustedCookie, 'post', trusted)).status).toBe(200)
		})

		it('logs out: the cookie is cleared and a copy of it is refused', async () => {
			const { login, api, newKey, seen, app } = setup()
			const { key } = await newKey()
			const cookie = setCookie(await login({ api_key: key }))?.pair ?? ''
			const other = setCookie(await login({ api_key: key }))?.pair
			expectCode(
				seen(await request(app).post('/logout').set({ Cookie: cookie, Origin: EVIL })),
				'cross_origin',
			)
			expect((await api(cookie)).status).toBe(200)
			const out = seen(await request(app).post('/logout').set('Cookie', cookie))
			expect([out.status, out.body]).toEqual([200, { ended: true }])
			expect(setCookie(out)).toMatchObject({ value: '', attributes: { 'max-age': '0', path: '/' } })
			const replayed = await api(cookie)
			expectCode(replayed, 'invalid_session')
			expect(replayed.headers['www-authenticate']).toBe(CHALLENGE)
			expect((await api(other)).status).toBe(200)
			const again = seen(await request(app).post('/logout').set('Cookie', cookie))
			expect(again.body).toEqual({ ended: false })
		})

		it('logs a page opened with ?api_key= in, and redirects to the same URL without the key', async () => {
			const { app, seen, newKey, keyward } = setup({ auth: { session: { fromQuery: true } } })
			const { key, info } = await newKey({ owner: 'acme', monthlyQuota: 10 })
			const page = { Accept: 'text/html,application/xhtml+xml' }
			const res = seen(await request(app).get(`/api/items?page=2&api_key=${key}&sort=name`).set(page))
			expect(res.status).toBe(303)
			expect(res.headers.location).toBe('/api/items?page=2&sort=name')
			expect(res.headers['cache-control']).toBe('no-store')
			const cookie = setCookie(res)
			expect(cookie?.attributes.samesite).toBe('Lax')
			expect((await keyward.usage(info.id)).used).toBe(0)
			const followed = seen(
				await request(app)
					.get(res.headers.location ?? '')
					.set({ ...page, Cookie: cookie?.pair ?? '' }),
			)
			expect([followed.status, followed.body.keyId]).toEqual([200, info.id])

			const navigate = { 'Sec-Fetch-Mode': 'navigate' }

			const bad = seen(
				await request(app)
					.get(`/api/items?api_key=${tamper(key)}`)
					.set(navigate),
			)
			expectCode(bad, 'malformed')
			expect(bad.headers.location).toBeUndefined()
			expect(setCookie(bad)).toBeUndefined()

			// A script (no navigation) is authenticated by its key as before, and its URL is hidden.
			const script = seen(await request(app).get(`/api/items?api_key=${key}`).set('Sec-Fetch-Mode', 'cors'))
			expect([script.status, script.body.url, setCookie(script)]).toEqual([200, '/items', undefined])
			const plain = setup()
			const other = await plain.newKey()
			const off = seen(await request(plain.app).get(`/api/items?api_key=${other.key}`).set(navigate))
			expect(off.status).toBe(200)
		})

		it('records the login as an API-key login, with key id, owner and client address', async () => {
			const { login, newKey, store, app, seen } = setup({ behindProxy: true })
			const { key, info } = await newKey()
			const cookie = setCookie(
				await login({ api_key: key, username: 'acme' }, { 'X-Forwarded-For': '203.0.113.7' }),
			)
			seen(
				await request(app)
					.post('/logout')
					.set({ Cookie: cookie?.pair ?? '', 'X-Forwarded-For': '203.0.113.8' }),
			)
			const entries = (await store.listAudit({ keyId: info.id })).filter((e) =>
				e.action.startsWith('session.'),
			)
			const row = { keyId: info.id, owner: 'acme', actor: 'acme', previousKeyId: null }
			expect(entries).toEqual([
				{ at: new Date(START), action: 'session.ended', ...row, source: '203.0.113.8' },
				{ at: new Date(START), action: 'session.created', ...row, source: '203.0.113.7' },
			])
		})

		it('counts failed logins against the failure limit', async () => {
			const { login, newKey } = setup({}, { failureLimit: { max: 2, windowMs: 60_000 } })
			const { key } = await newKey()
			expectCode(await login({ api_key: 'kw_guess' }), 'malformed')
			expectCode(await login({ api_key: key, username: 'someone' }), 'invalid')
			const blocked = await login({ api_key: key })
			expectCode(blocked, 'too_many_failures')
			expect(blocked.headers['retry-after']).toBe('60')
		})

		it('lets a key in the request win over the cookie, and refuses two different cookies', async () => {
			const { login, api, newKey } = setup()
			const first = await newKey({ owner: 'acme' })
			const second = await newKey({ owner: 'globex' })
			const a = setCookie(await login({ api_key: first.key }))?.pair ?? ''
			const b = setCookie(await login({ api_key: second.key }))?.pair ?? ''
			expect((await api(a, 'get', { 'x-api-key': second.key })).body.owner).toBe('globex')
			expectCode(await api(a, 'get', { 'x-api-key': 'kw_bad' }), 'malformed')
			expectCode(await api(`${a}; ${b}`), 'ambiguous')
			expect((await api(`${a}; theme=dark; ${a}`)).body.owner).toBe('acme')
			expectCode(await api('kw_session=kws_forged'), 'invalid_session')
			expectCode(await api('other=1'), 'missing')
		})

		it('lets an optional apiKeyAuth pass without a cookie, and still refuses a bad one', async () => {
			const { api } = setup({ auth: { optional: true, session: {} } })
			expect((await api(undefined)).status).toBe(200)
			expectCode(await api('kw_session=kws_forged'), 'invalid_session')
		})

		it('refuses cross-site logins (login CSRF), other methods and bad bodies', async () => {
			const { login, newKey, app, seen } = setup()
			const { key } = await newKey()
			expectCode(await login({ api_key: key }, { Origin: EVIL }, true), 'cross_origin')
			expectCode(await login({ api_key: key }, { 'Sec-Fetch-Site': 'cross-site' }, true), 'cross_origin')
			expect((await login({ api_key: key }, { Origin: 'null' })).status).toBe(403)
			const answer = async (status: number, code: string, res: Promise<request.Response>) =>
				expect([(await res).status, (await res).body.code]).toEqual([status, code])
			const post = () => request(app).post('/login')
			await answer(405, 'method_not_allowed', request(app).get('/login').then(seen))
			await answer(415, 'unsupported_media_type', post().type('text').send(`api_key=${key}`).then(seen))
			await answer(
				400,
				'invalid_request',
				post().type('form').send(`api_key=${key}&api_key=${key}`).then(seen),
			)
			await answer(400, 'invalid_request', post().type('json').send('{"api_key":').then(seen))
			await answer(
				400,
				'invalid_request',
				post()
					.send({ api_key: [key] })
					.then(seen),
			)
			const huge = await post()
				.type('form')
				.send(`api_key=${'x'.repeat(20_000)}`)
				.then(seen)
			expect([huge.status, huge.body.code]).toEqual([413, 'payload_too_large'])
			const parsed = setup({ hostParsers: true })
			const other = await parsed.newKey()
			expect((await parsed.login({ api_key: other.key }, {}, true)).status).toBe(200)
			expect((await parsed.login({ api_key: other.key })).status).toBe(200)
		})

		it('checks its options at start-up', () => {
			const keyward = createKeyward()
			expect(() => adapter.sessionLogin(keyward, { fromQuery: true } as never)).toThrow(
				/Unknown option "fromQuery"/,
			)
			expect(() => adapter.sessionLogout(keyward, { cookie: 'a b' })).toThrow(/cookie/)
			expect(() => adapter.sessionLogin({} as Keyward)).toThrow(/keyward/)
			expect(() => adapter.apiKeyAuth(keyward, { session: { cokie: 'x' } as never })).toThrow(
				/did you mean "cookie"/,
			)
			expect(() => adapter.apiKeyAuth(keyward, { session: { sameSite: 'none' as never } })).toThrow(
				/sameSite/,
			)
		})
	})
}
