import { createKeyward, type Keyward } from '@keyward/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { createRequestVerifier, refusalResponse, withApiKey, withoutCredentials } from '../src/index.js'

const origin = 'https://api.example'
const get = (path: string, headers: Record<string, string> | [string, string][] = {}) =>
	new Request(`${origin}${path}`, { headers })

describe('createRequestVerifier', () => {
	let keyward: Keyward
	let key: string
	let other: string

	beforeAll(async () => {
		keyward = createKeyward()
		key = (await keyward.createKey({ owner: 'acme', scopes: ['reports:read'], monthlyQuota: 10 })).key
		other = (await keyward.createKey({ owner: 'acme' })).key
	})

	it('answers the key, the RateLimit headers and the request itself for a key in a header', async () => {
		const request = get('/r', { authorization: `Apikey ${key}` })
		const result = await createRequestVerifier(keyward)(request)
		if (!result.ok) throw new Error(result.refusal.code)
		expect(result.key?.owner).toBe('acme')
		expect(result.request).toBe(request)
		expect(result.headers.RateLimit).toMatch(/^"monthly";r=\d+;t=\d+$/)
	})

	it('answers a copy of the request without a key sent in the query, body and method kept', async () => {
		const request = new Request(`${origin}/r?a=1&api_key=${key}`, {
			method: 'POST',
			body: '{"n":1}',
			headers: { 'content-type': 'application/json' },
		})
		const result = await createRequestVerifier(keyward)(request)
		if (!result.ok) throw new Error(result.refusal.code)
		expect(result.request).not.toBe(request)
		expect(result.request.url).toBe(`${origin}/r?a=1`)
		expect(result.request.method).toBe('POST')
		expect(await result.request.json()).toEqual({ n: 1 })
	})

	it('drops the header that carried the key under hideCredentials: true', async () => {
		const verify = createRequestVerifier(keyward, { hideCredentials: true })
		const result = await verify(get('/r', { 'x-api-key': key, 'x-trace': 't' }))
		if (!result.ok) throw new Error(result.refusal.code)
		expect(result.request.headers.get('x-api-key')).toBeNull()
		expect(result.request.headers.get('x-trace')).toBe('t')
	})

	it('refuses with a ready JSON response: status, challenge, exact body', async () => {
		const result = await createRequestVerifier(keyward)(get('/r'))
		if (result.ok) throw new Error('passed')
		expect(result.refusal.code).toBe('missing')
		expect(result.response.status).toBe(401)
		expect(result.response.headers.get('www-authenticate')).toBe('Apikey realm="api"')
		expect(result.response.headers.get('content-type')).toBe('application/json')
		expect(await result.response.json()).toEqual({ detail: 'Not authenticated', code: 'missing' })
	})

	it('refuses repeated credentials that Headers joined with ", " as ambiguous, never picking one', async () => {
		const verify = createRequestVerifier(keyward)
		const repeated = [
			get('/', [
				['authorization', `Apikey ${key}`],
				['authorization', `Apikey ${other}`],
			]),
			get('/', [
				['authorization', `Apikey ${key}`],
				['authorization', `Apikey ${key}`],
			]),
			get('/', [
				['authorization', `Apikey ${key}`],
				['authorization', 'Bearer abc'],
			]),
			get('/', [
				['x-api-key', key],
				['x-api-key', other],
			]),
			get(`/?api_key=${key}&api_key=${key}`),
		]
		for (const request of repeated) {
			const result = await verify(request)
			expect(result.ok ? 'passed' : result.refusal.code).toBe('ambiguous')
		}
		// As on Node, an Authorization of another scheme first is not keyward's: the key is not read.
		const bearerFirst = await verify(
			get('/', [
				['authorization', 'Bearer abc'],
				['authorization', `Apikey ${key}`],
			]),
		)
		expect(bearerFirst.ok ? 'passed' : bearerFirst.refusal.code).toBe('missing')
	})

	it('honours optional, skip, scopes and the client address of the failure limit', async () => {
		const optional = await createRequestVerifier(keyward, { optional: true })(get('/'))
		expect(optional.ok && optional.key === undefined).toBe(true)
		const skip = createRequestVerifier(keyward, {
			skip: (request) => new URL(request.url).pathname === '/health',
		})
		expect((await skip(get('/health'))).ok).toBe(true)
		const scoped = await createRequestVerifier(keyward, { scopes: ['admin'] })(get('/', { 'x-api-key': key }))
		expect(scoped.ok ? 'passed' : scoped.refusal.code).toBe('insufficient_scope')
		const limited = createKeyward({ failureLimit: { max: 1 } })
		const good = (await limited.createKey({ owner: 'acme' })).key
		const verify = createRequestVerifier(limited, {
			client: (request) => request.headers.get('x-client') ?? undefined,
		})
		await verify(get('/', { 'x-api-key': 'junk', 'x-client': 'a' }))
		const blocked = await verify(get('/', { 'x-api-key': good, 'x-client': 'a' }))
		expect(blocked.ok ? 'passed' : blocked.refusal.code).toBe('too_many_failures')
		expect((await verify(get('/', { 'x-api-key': good, 'x-client': 'b' }))).ok).toBe(true)
	})

	it('rejects unknown and invalid options at once', () => {
		/** `run` throws a KeywardError whose message matches `message`. */
		const invalid = (run: () => unknown, message: RegExp) =>
			expect(run).toThrow(
				expect.objectContaining({ name: 'KeywardError', message: expect.stringMatching(message) }),
			)
		invalid(() => createRequestVerifier(keyward, { optinal: true } as never), /did you mean "optional"/)
		invalid(() => createRequestVerifier(keyward, { clinet: () => 'x' } as never), /did you mean "client"/)
		invalid(() => createRequestVerifier(keyward, { client: 'x' } as never), /client must be a function/)
		invalid(() => createRequestVerifier({} as never), /keyward instance/)
		invalid(() => withApiKey(undefined as never, keyward), /route handler/)
		invalid(() => withApiKey(() => new Response(), keyward, { cost: -1 }), /cost/)
	})
})

describe('withApiKey', () => {
	const keyward = createKeyward()
	let key: string

	beforeAll(async () => {
		key = (await keyward.createKey({ owner: 'acme', scopes: ['reports:read'], monthlyQuota: 5 })).key
	})

	it('runs the handler with the request without its key, the context and the key, and adds RateLimit', async () => {
		const seen: unknown[] = []
		const GET = withApiKey(
			async (request, context: { params: Promise<{ id: string }> }, apiKey) => {
				seen.push(request.url, (await context.params).id, apiKey?.owner)
				return Response.json({ ok: true })
			},
			keyward,
			{ scopes: ['reports:read'] },
		)
		const response = await GET(get(`/r/1?api_key=${key}`), { params: Promise.resolve({ id: '1' }) })
		expect(response.status).toBe(200)
		expect(response.headers.get('ratelimit')).toMatch(/r=4;/)
		expect(seen).toEqual([`${origin}/r/1`, '1', 'acme'])
	})

	it('answers a refusal without running the handler, and copies a response whose headers are fixed', async () => {
		let ran = 0
		const GET = withApiKey(() => {
			ran++
			return Response.redirect(`${origin}/elsewhere`, 303)
		}, keyward)
		const refused = await GET(get('/r', { 'x-api-key': 'kw_nope' }), {})
		expect([refused.status, ran]).toEqual([401, 0])
		const redirected = await GET(get('/r', { 'x-api-key': key }), {})
		expect([redirected.status, redirected.headers.get('location'), ran]).toEqual([
			303,
			`${origin}/elsewhere`,
			1,
		])
		expect(redirected.headers.get('ratelimit')).toMatch(/^"monthly"/)
	})
})

describe('helpers', () => {
	it('refusalResponse and withoutCredentials build plain Web objects', async () => {
		const response = refusalResponse({
			ok: false,
			status: 429,
			code: 'quota_exceeded',
			detail: 'Monthly quota exceeded',
			headers: { 'retry-after': '60' },
		})
		expect([response.status, response.headers.get('retry-after')]).toEqual([429, '60'])
		const copy = withoutCredentials(get('/x?api_key=k', { authorization: 'Apikey k' }), {
			url: `${origin}/x`,
			headers: ['authorization'],
			stripUrl: (url) => url,
		})
		expect([copy.url, copy.headers.get('authorization')]).toEqual([`${origin}/x`, null])
	})
})
