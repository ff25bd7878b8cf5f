import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Served, serve } from './serve.js'

let served: Served
beforeAll(async () => {
	served = await serve({ maxQuota: 1000, maxLifetimeMs: 90 * 86_400_000 })
})
afterAll(async () => {
	await served.close()
})

const PAGE = { 'x-keyward-dashboard': '1' }

interface Answer {
	status: number
	headers: Headers
	body: Record<string, unknown> | null
}

/** A request as the page makes it (custom header, POSTs as JSON), with `cookie` if given. */
async function call(
	method: string,
	path: string,
	options: { cookie?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
	const headers: Record<string, string> = { ...PAGE, ...options.headers }
	if (options.cookie !== undefined) headers.cookie = options.cookie
	const body = method === 'POST' ? (options.body ?? {}) : options.body
	if (body !== undefined) headers['content-type'] = 'application/json'
	const init: RequestInit = { method, headers }
	if (body !== undefined) init.body = JSON.stringify(body)
	const response = await fetch(`${served.base}${path}`, init)
	const text = await response.text()
	return { status: response.status, headers: response.headers, body: text === '' ? null : JSON.parse(text) }
}

async function signIn(user: string): Promise<string> {
	const answer = await call('POST', '/session', { body: { user } })
	expect(answer.status).toBe(200)
	const cookie = answer.headers.get('set-cookie') ?? ''
	return cookie.split(';')[0] as string
}

async function createKey(cookie: string, body: Record<string, unknown> = {}) {
	const answer = await call('POST', '/account/keys', { cookie, body: { name: 'test', ...body } })
	expect(answer.status).toBe(201)
	return answer.body as { key: string; info: { id: string } }
}

describe('demo sign-in', () => {
	it('serves the page with a strict content security policy and no third-party origins', async () => {
		const response = await fetch(`${served.base}/`)
		expect(response.status).toBe(200)
		expect(response.headers.get('content-security-policy')).toContain("script-src 'self'")
		const html = await response.text()
		expect(html).toContain('<script type="module" src="app.js"></script>')
		expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
		for (const asset of ['/app.js', '/app.css'])
			expect((await fetch(`${served.base}${asset}`)).status).toBe(200)
	})

	it('tells the page who may sign in and what keys may hold', async () => {
		const answer = await call('GET', '/session')
		expect(answer.body).toMatchObject({
			user: null,
			users: [
				{ id: 'ada', name: 'Ada Lovelace' },
				{ id: 'grace', name: 'Grace Hopper' },
			],
			allowedScopes: ['reports:read', 'reports:write', 'billing:read'],
			maxQuota: 1000,
		})
	})

	it('sets an HttpOnly, SameSite=Strict cookie that identifies the user, and clears it on sign-out', async () => {
		const answer = await call('POST', '/session', { body: { user: 'ada' } })
		const setCookie = answer.headers.get('set-cookie') ?? ''
		expect(setCookie).toMatch(
			/^dashboard_session=ada\.\d+\.[\w-]{22}\.[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800$/,
		)
		const cookie = setCookie.split(';')[0] as string
		expect((await call('GET', '/session', { cookie })).body).toMatchObject({ user: { id: 'ada' } })
		const out = await call('DELETE', '/session', { cookie })
		expect(out.status).toBe(204)
		expect(out.headers.get('set-cookie')).toContain('Max-Age=0')
	})

	it('refuses unknown users and forged or tampered cookies', async () => {
		expect(await call('POST', '/session', { body: { user: 'mallory' } })).toMatchObject({
			status: 400,
			body: { code: 'unknown_user', detail: 'Unknown demo user' },
		})
		const cookie = await signIn('ada')
		const forged = cookie.replace('=ada.', '=grace.')
		expect((await call('GET', '/session', { cookie: forged })).body).toMatchObject({ user: null })
		expect(await call('GET', '/account/keys', { cookie: forged })).toMatchObject({
			status: 401,
			body: { code: 'missing' },
		})
		expect((await call('GET', '/account/usage', { cookie: 'dashboard_session=junk' })).status).toBe(401)
	})
})

describe('sign-out', () => {
	it('ends the session on the server: the same cookie, replayed, is refused', async () => {
		const cookie = await signIn('ada')
		expect((await call('GET', '/account/keys', { cookie })).status).toBe(200)
		const out = await call('DELETE', '/session', { cookie })
		expect(out.status).toBe(204)
		expect(out.headers.get('set-cookie')).toMatch(
			/^dashboard_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0$/,
		)

		expect((await call('GET', '/session', { cookie })).body).toMatchObject({ user: null })
		for (const [method, path] of [
			['GET', '/account/keys'],
			['GET', '/account/usage'],
			['POST', '/account/keys'],
			['POST', '/account/keys/revoke-all'],
		] as const) {
			const body = method === 'POST' ? { name: 'replayed' } : undefined
			expect(await call(method, path, { cookie, body })).toMatchObject({
				status: 401,
				body: { code: 'missing' },
			})
		}
		expect(await served.keyward.listKeys({ owner: 'ada' })).toEqual([])
	})

	it("ends only this browser's session: the user's other sign-ins go on", async () => {
		const laptop = await signIn('grace')
		const phone = await signIn('grace')
		expect(laptop).not.toBe(phone)
		expect((await call('DELETE', '/session', { cookie: laptop })).status).toBe(204)
		expect((await call('GET', '/account/keys', { cookie: laptop })).status).toBe(401)
		expect((await call('GET', '/account/keys', { cookie: phone })).status).toBe(200)
		expect((await call('GET', '/session', { cookie: phone })).body).toMatchObject({ user: { id: 'grace' } })
	})

	it('signing in again from the same browser ends the session its cookie held', async () => {
		const first = await signIn('ada')
		const answer = await call('POST', '/session', { cookie: first, body: { user: 'grace' } })
		expect(answer.status).toBe(200)
		const second = (answer.headers.get('set-cookie') ?? '').split(';')[0] as string
		expect((await call('GET', '/account/keys', { cookie: first })).status).toBe(401)
		expect((await call('GET', '/session', { cookie: second })).body).toMatchObject({ user: { id: 'grace' } })
	})

	it('is refused cross-site, so another site cannot sign the user out', async () => {
		const cookie = await signIn('ada')
		const answer = await call('DELETE', '/session', { cookie, headers: { 'x-keyward-dashboard': '' } })
		expect(answer).toMatchObject({ status: 403, body: { code: 'cross_site_request' } })
		expect((await call('GET', '/account/keys', { cookie })).status).toBe(200)
	})

	it('answers 204 and clears the cookie even without a valid sign-in', async () => {
		for (const cookie of [undefined, 'dashboard_session=junk']) {
			const out = await call('DELETE', '/session', cookie === undefined ? {} : { cookie })
			expect(out.status).toBe(204)
			expect(out.headers.get('set-cookie')).toContain('Max-Age=0')
		}
	})
})

describe('cross-site request protection', () => {
	it('refuses sign-in changes without the page header, even with a valid cookie', async () => {
		const cookie = await signIn('ada')
		const headers = { 'x-keyward-dashboard': '' }
		expect(await call('POST', '/session', { cookie, headers, body: { user: 'grace' } })).toMatchObject({
			status: 403,
			body: { code: 'cross_site_request', detail: 'Cross-site request refused' },
		})
		expect((await call('GET', '/session', { cookie })).body).toMatchObject({ user: { id: 'ada' } })
	})

	it('refuses key changes a cross-site form could send, even with a valid cookie', async () => {
		const cookie = await signIn('ada')
		await createKey(cookie)
		for (const [path, type, text] of [
			['/account/keys/revoke-all', 'text/plain', ''],
			['/account/keys', 'application/x-www-form-urlencoded', 'name=x'],
			['/account/keys', 'multipart/form-data; boundary=b', '--b--'],
		] as const) {
			const response = await fetch(`${served.base}${path}`, {
				method: 'POST',
				headers: { cookie, 'content-type': type },
				body: text,
			})
			expect(response.status).toBe(415)
		}
		expect(await served.keyward.listKeys({ owner: 'ada' })).toMatchObject([{ revokedAt: null }])
		await served.keyward.revokeAll('ada')
	})

	it('refuses another Origin or a cross-site fetch, and accepts this origin', async () => {
		const cookie = await signIn('ada')
		const body = { name: 'x' }
		const evil = await call('POST', '/account/keys', {
			cookie,
			body,
			headers: { origin: 'https://evil.example' },
		})
		expect(evil).toMatchObject({ status: 403, body: { code: 'cross_origin' } })
		const site = await call('POST', '/account/keys', {
			cookie,
			body,
			headers: { 'sec-fetch-site': 'cross-site' },
		})
		expect(site.status).toBe(403)
		const ok = await call('POST', '/account/keys', {
			cookie,
			body,
			headers: { origin: served.base, 'sec-fetch-site': 'same-origin' },
		})
		expect(ok.status).toBe(201)
		await served.keyward.revokeAll('ada')
	})

	it('lets reads through without the header', async () => {
		const cookie = await signIn('ada')
		const response = await fetch(`${served.base}/account/keys`, { headers: { cookie } })
		expect(response.status).toBe(200)
	})
})

describe('keys per user', () => {
	it('a key created in the dashboard opens the API until it is revoked', async () => {
		const cookie = await signIn('ada')
		const { key, info } = await createKey(cookie, {
			scopes: ['reports:read'],
			expiresIn: '30d',
			monthlyQuota: 10,
		})
		const hello = await fetch(`${served.base}/api/hello`, { headers: { authorization: `Apikey ${key}` } })
		expect(hello.status).toBe(200)
		expect(await hello.json()).toEqual({ message: 'Hello, ada!', keyId: info.id })
		expect((await fetch(`${served.base}/api/reports`, { headers: { 'x-api-key': key } })).status).toBe(200)
		expect((await call('GET', '/account/usage', { cookie })).body?.usage).toMatchObject({
			[info.id]: { used: 2, limit: 10, remaining: 8 },
		})
		expect((await call('POST', `/account/keys/${info.id}/revoke`, { cookie })).status).toBe(200)
		const refused = await fetch(`${served.base}/api/hello`, { headers: { authorization: `Apikey ${key}` } })
		expect(refused.status).toBe(401)
		expect(await refused.json()).toEqual({ detail: 'API key has been revoked', code: 'revoked' })
	})

	it("keeps each user's keys and usage out of the other's reach", async () => {
		const ada = await signIn('ada')
		const grace = await signIn('grace')
		const { info } = await createKey(ada, { name: 'ada only' })
		const graceKeys = ((await call('GET', '/account/keys', { cookie: grace })).body?.keys ?? []) as {
			id: string
		}[]
		expect(graceKeys.map((k) => k.id)).not.toContain(info.id)
		expect((await call('GET', '/account/usage', { cookie: grace })).body?.usage).not.toHaveProperty(info.id)
		for (const [method, path] of [
			['GET', `/account/keys/${info.id}`],
			['POST', `/account/keys/${info.id}/revoke`],
			['POST', `/account/keys/${info.id}/rotate`],
			['DELETE', `/account/keys/${info.id}`],
		] as const) {
			expect(await call(method, path, { cookie: grace })).toMatchObject({
				status: 404,
				body: { code: 'key_not_found' },
			})
		}
		expect((await call('POST', '/account/keys/revoke-all', { cookie: grace })).status).toBe(200)
		expect((await served.keyward.getKey(info.id)).revokedAt).toBeNull()
	})

	it('answers mistakes with a status and words', async () => {
		const cookie = await signIn('grace')
		expect(await call('POST', '/account/keys', { cookie, body: { scopes: ['admin'] } })).toMatchObject({
			status: 403,
			body: { code: 'scope_not_allowed' },
		})
		expect(await call('POST', '/account/keys', { cookie, body: { monthlyQuota: 5000 } })).toMatchObject({
			status: 403,
			body: { code: 'quota_not_allowed' },
		})
		expect(await call('POST', '/account/keys', { cookie, body: { expiresIn: '365d' } })).toMatchObject({
			status: 403,
			body: { code: 'lifetime_not_allowed' },
		})
		const badJson = await fetch(`${served.base}/account/keys`, {
			method: 'POST',
			headers: { ...PAGE, cookie, 'content-type': 'application/json' },
			body: '{',
		})
		expect(await badJson.json()).toEqual({ detail: 'Request body is not valid JSON', code: 'invalid_json' })
		expect(await call('GET', '/nowhere')).toMatchObject({ status: 404, body: { code: 'not_found' } })
		const noKey = await fetch(`${served.base}/api/hello`)
		expect(noKey.status).toBe(401)
		expect(await noKey.json()).toEqual({ detail: 'Not authenticated', code: 'missing' })
	})
})

describe("the page's API session (a login with a key)", () => {
	it('logs in with a key of the signed-in user; the cookie, sent to /api only, opens the API until logout', async () => {
		const cookie = await signIn('ada')
		const { key, info } = await createKey(cookie, { scopes: ['reports:read'], monthlyQuota: 10 })
		const login = await call('POST', '/api/login', { body: { api_key: key, username: 'ada' } })
		expect(login).toMatchObject({
			status: 200,
			body: { keyId: info.id, owner: 'ada', scopes: ['reports:read'] },
		})
		const setCookie = login.headers.get('set-cookie') ?? ''
		expect(setCookie).toMatch(/^kw_session=kws_\w{38}; Path=\/api; Max-Age=28800; HttpOnly; SameSite=Lax$/)
		const session = setCookie.split(';')[0] as string
		const hello = await fetch(`${served.base}/api/hello`, { headers: { cookie: session } })
		expect([hello.status, await hello.json()]).toEqual([200, { message: 'Hello, ada!', keyId: info.id }])
		expect((await call('GET', '/account/usage', { cookie })).body?.usage).toMatchObject({
			[info.id]: { used: 1 },
		})
		// The API session is not a dashboard sign-in.
		expect((await call('GET', '/account/keys', { cookie: session })).status).toBe(401)
		const out = await call('POST', '/api/logout', { cookie: session })
		expect([out.status, out.body]).toEqual([200, { ended: true }])
		const replayed = await fetch(`${served.base}/api/hello`, { headers: { cookie: session } })
		expect(await replayed.json()).toEqual({
			detail: 'Session is invalid or has ended',
			code: 'invalid_session',
		})
	})

	it('refuses a wrong user name like a wrong key, and a login from another site', async () => {
		const cookie = await signIn('grace')
		const { key } = await createKey(cookie)
		const wrongUser = await call('POST', '/api/login', { body: { api_key: key, username: 'ada' } })
		expect([wrongUser.status, wrongUser.body]).toEqual([401, { detail: 'Invalid API key', code: 'invalid' }])
		const crossSite = await call('POST', '/api/login', {
			body: { api_key: key },
			headers: { origin: 'http://localhost:1' },
		})
		expect([crossSite.status, crossSite.body?.code]).toEqual([403, 'cross_origin'])
		expect(crossSite.headers.get('set-cookie')).toBeNull()
	})
})
