import { readdir, readFile } from 'node:fs/promises'
import { REJECT_CODES, REJECTIONS, type RejectCode } from '@keyward/core/wire'
import { describe, expect, expectTypeOf, it } from 'vitest'
import {
	type ApiRejectCode,
	AuthenticationError,
	ERROR_CLASS_BY_CODE,
	KeywardApiError,
	PermissionError,
	QuotaExceededError,
	ServiceUnavailableError,
	TooManyFailuresError,
} from '../src/api-errors.js'
import { type ClientOptions, createClient } from '../src/client.js'
import { isKeywardClientError } from '../src/errors.js'
import { KEY } from './helpers.js'

const NOW = Date.UTC(2026, 10, 15, 12)

interface Sent {
	url: string
	method: string
	headers: Headers
	body: string | null
	redirect: RequestInit['redirect']
}

/** A fetch that answers from a list (or a function) and records what it was sent. */
function fakeFetch(answers: (Response | ((url: URL) => Response))[]) {
	const sent: Sent[] = []
	const fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
		const url = new URL(String(input))
		sent.push({
			url: url.href,
			method: init.method ?? 'GET',
			headers: new Headers(init.headers),
			body: typeof init.body === 'string' ? init.body : null,
			redirect: init.redirect,
		})
		const next = answers.length > 1 ? answers.shift() : answers[0]
		if (next === undefined) throw new Error('no answer left')
		return typeof next === 'function' ? next(url) : next.clone()
	}
	return { fetch: fetch as typeof globalThis.fetch, sent }
}

function problem(
	status: number,
	code: string,
	detail: string,
	headers: Record<string, string> = {},
): Response {
	return new Response(JSON.stringify({ detail, code }), {
		status,
		headers: { 'content-type': 'application/json', ...headers },
	})
}

function client(answers: (Response | ((url: URL) => Response))[], options: Partial<ClientOptions> = {}) {
	const fake = fakeFetch(answers)
	const sleeps: number[] = []
	const api = createClient({
		baseUrl: 'https://api.example.com/v1/',
		apiKey: KEY,
		fetch: fake.fetch,
		now: () => NOW,
		random: () => 0.5,
		sleep: async (ms) => {
			sleeps.push(ms)
		},
		...options,
	})
	return { api, sent: fake.sent, sleeps }
}

async function failure(promise: Promise<unknown>): Promise<KeywardApiError> {
	const error = await promise.then(
		() => undefined,
		(e: unknown) => e,
	)
	if (!(error instanceof KeywardApiError)) throw new Error(`expected a KeywardApiError, got ${String(error)}`)
	return error
}

describe('createClient requests', () => {
	it('sends Authorization: Apikey <key> to paths under baseUrl', async () => {
		const { api, sent } = client([Response.json({ ok: true })])
		expect(await api.json('/api/hello?lang=en')).toEqual({ ok: true })
		expect(sent[0]?.url).toBe('https://api.example.com/v1/api/hello?lang=en')
		expect(sent[0]?.headers.get('authorization')).toBe(`Apikey ${KEY}`)
		expect(sent[0]?.headers.get('accept')).toBe('application/json')
		await api.fetch('reports')
		expect(sent[1]?.url).toBe('https://api.example.com/v1/reports')
	})

	it('can use another header or scheme, and default headers', async () => {
		const custom = client([new Response('ok')], {
			header: 'x-api-key',
			headers: { 'user-agent': 'example-cli/1.0' },
		})
		await custom.api.fetch('/x', { headers: { 'x-api-key': 'not this one' } })
		expect(custom.sent[0]?.headers.get('x-api-key')).toBe(KEY)
		expect(custom.sent[0]?.headers.get('authorization')).toBeNull()
		expect(custom.sent[0]?.headers.get('user-agent')).toBe('example-cli/1.0')
		const bearer = client([new Response('ok')], { scheme: 'Bearer' })
		await bearer.api.fetch('/x')
		expect(bearer.sent[0]?.headers.get('authorization')).toBe(`Bearer ${KEY}`)
	})

	it('sends JSON bodies and returns undefined for 204', async () => {
		const { api, sent } = client([new Response(null, { status: 204 })])
		expect(await api.json('/items', { method: 'POST', body: { name: 'x' } })).toBeUndefined()
		expect(sent[0]).toMatchObject({ method: 'POST', body: '{"name":"x"}' })
		expect(sent[0]?.headers.get('content-type')).toBe('application/json')
	})

	it('refuses to send the key to another origin', async () => {
		const { api, sent } = client([new Response('ok')])
		const error = await api.fetch('https://evil.example/steal').catch((e: unknown) => e)
		expect(isKeywardClientError(error, 'invalid_argument')).toBe(true)
		expect(String(error)).not.toContain(KEY)
		await api.fetch('https://api.example.com/v1/same-origin')
		expect(sent.map((s) => s.url)).toEqual(['https://api.example.com/v1/same-origin'])
	})

	it('validates its options', () => {
		expect(() => createClient({ baseUrl: 'not a url' })).toThrow('baseUrl must be an absolute URL')
		expect(() => createClient({ baseUrl: 'ftp://example.com' })).toThrow('http: or https:')
		expect(() => createClient({ baseUrl: 'https://x', header: 'bad header' })).toThrow('HTTP tokens')
		expect(() => createClient({ baseUrl: 'https://x', retry: { retries: -1 } })).toThrow(RangeError)
	})

	it('refuses redirect and retry limits that would not bound its loops and waits', () => {
		for (const maxRedirects of [Number.NaN, Number.POSITIVE_INFINITY, -1, 1.5]) {
			let error: unknown
			try {
				createClient({ baseUrl: 'https://x', maxRedirects })
			} catch (e) {
				error = e
			}
			expect(isKeywardClientError(error, 'invalid_option'), String(maxRedirects)).toBe(true)
		}
		for (const retry of [
			{ maxDelayMs: Number.POSITIVE_INFINITY },
			{ minDelayMs: Number.POSITIVE_INFINITY, maxDelayMs: Number.POSITIVE_INFINITY },
			{ minDelayMs: Number.NaN },
			// past the longest timer Node.js has, a wait would fire after 1 ms
			{ maxDelayMs: 2 ** 31 },
		]) {
			expect(() => createClient({ baseUrl: 'https://x', retry }), JSON.stringify(retry)).toThrow(RangeError)
		}
		expect(() =>
			createClient({ baseUrl: 'https://x', maxRedirects: 0, retry: { maxDelayMs: 2 ** 31 - 1 } }),
		).not.toThrow()
	})
})

describe('createClient key lookup', () => {
	it('resolves the key once, lazily, and retries a failed lookup', async () => {
		const env: Record<string, string | undefined> = {}
		const { api, sent } = client([new Response('ok')], { apiKey: undefined, envVar: 'EXAMPLE_API_KEY', env })
		const error = await api.fetch('/x').catch((e: unknown) => e)
		expect(isKeywardClientError(error, 'api_key_not_found')).toBe(true)
		expect(sent).toHaveLength(0)
		env.EXAMPLE_API_KEY = KEY
		await Promise.all([api.fetch('/a'), api.fetch('/b')])
		expect(sent.map((s) => s.headers.get('authorization'))).toEqual([`Apikey ${KEY}`, `Apikey ${KEY}`])
		expect(await api.resolveKey()).toMatchObject({ source: 'environment' })
	})
})

describe('createClient answers', () => {
	it('exposes the quota of the latest answer that had RateLimit headers', async () => {
		const limited = Response.json(
			{},
			{ headers: { 'RateLimit-Policy': '"monthly";q=1000;w=2592000', RateLimit: '"monthly";r=999;t=60' } },
		)
		const { api } = client([limited, Response.json({})])
		expect(api.quota).toBeUndefined()
		await api.json('/a')
		expect(api.quota).toEqual({
			limit: 1000,
			remaining: 999,
			resetAt: new Date(NOW + 60_000),
			policy: 'monthly',
		})
		await api.json('/b')
		expect(api.quota?.remaining).toBe(999)
	})

	it('maps error statuses to typed errors', async () => {
		const cases = [
			[
				problem(401, 'revoked', 'API key has been revoked', { 'WWW-Authenticate': 'Apikey realm="api"' }),
				AuthenticationError,
			],
			[problem(403, 'insufficient_scope', 'Insufficient scope'), PermissionError],
			[
				problem(429, 'quota_exceeded', 'Monthly quota exceeded', { 'Retry-After': '120' }),
				QuotaExceededError,
			],
			[problem(503, 'unavailable', 'Authentication unavailable'), ServiceUnavailableError],
			[problem(404, 'not_found', 'No such report'), KeywardApiError],
			// codes that are not keyward's, or keyward's with another status: classed by status
			[problem(429, 'rate_limited', 'Slow down'), QuotaExceededError],
			[new Response(null, { status: 429 }), QuotaExceededError],
			[problem(401, 'token_expired', 'Sign in again'), AuthenticationError],
			[problem(400, 'invalid', 'name is required'), KeywardApiError],
			[problem(503, 'too_many_failures', 'Too many requests upstream'), ServiceUnavailableError],
			[new Response('<h1>oops</h1>', { status: 500, statusText: 'Internal Server Error' }), KeywardApiError],
		] as const
		for (const [response, type] of cases) {
			const { api } = client([response], { retry: false })
			const error = await failure(api.fetch('/x'))
			expect(error).toBeInstanceOf(type)
			expect(error.constructor).toBe(type)
			expect(error.status).toBe(response.status)
		}
		const { api } = client([
			problem(401, 'expired', 'API key has expired', { 'WWW-Authenticate': 'Apikey realm="api"' }),
		])
		const expired = await failure(api.fetch('/x'))
		expect(expired).toMatchObject({
			name: 'AuthenticationError',
			code: 'expired',
			detail: 'API key has expired',
		})
		expect(expired.message).toBe('API key has expired (401 expired)')
		expect(expired.headers.get('www-authenticate')).toBe('Apikey realm="api"')

		const html = await failure(
			client([new Response('<h1>oops</h1>', { status: 500, statusText: 'Internal Server Error' })]).api.fetch(
				'/x',
			),
		)
		expect(html).toMatchObject({ code: 'http_error', detail: 'Internal Server Error' })
	})

	it('gives a 429 its reset time and quota', async () => {
		const { api, sent } = client([
			problem(429, 'quota_exceeded', 'Monthly quota exceeded', {
				'Retry-After': '3600',
				'RateLimit-Policy': '"monthly";q=1;w=2592000',
				RateLimit: '"monthly";r=0;t=3600',
			}),
		])
		const error = await failure(api.fetch('/x'))
		expect(error).toBeInstanceOf(QuotaExceededError)
		expect((error as QuotaExceededError).resetAt).toEqual(new Date(NOW + 3_600_000))
		expect(error.quota).toMatchObject({ limit: 1, remaining: 0 })
		expect(error.retryAfterMs).toBe(3_600_000)
		expect(api.quota?.remaining).toBe(0)
		expect(sent).toHaveLength(1) // a 4xx is never retried
	})

	it('makes a 429 too_many_failures a TooManyFailuresError, not a QuotaExceededError, and never retries it', async () => {
		const { api, sent, sleeps } = client([
			problem(429, 'too_many_failures', 'Too many failed attempts', {
				'Retry-After': '20',
				'RateLimit-Policy': '"monthly";q=1000;w=2592000',
				RateLimit: '"monthly";r=990;t=3600',
			}),
		])
		const error = await failure(api.fetch('/x'))
		expect(error).toBeInstanceOf(TooManyFailuresError)
		expect(error).not.toBeInstanceOf(QuotaExceededError)
		expect(error).toMatchObject({
			name: 'TooManyFailuresError',
			status: 429,
			code: 'too_many_failures',
			retryAfterMs: 20_000,
		})
		// the lockout ends with Retry-After, not with the quota period of the RateLimit headers
		expect((error as TooManyFailuresError).resetAt).toEqual(new Date(NOW + 20_000))
		expect(error.quota?.remaining).toBe(990)
		// a wait within maxDelayMs, yet no retry: the same key would only be refused again
		expect(sent).toHaveLength(1)
		expect(sleeps).toEqual([])

		const bare = await failure(
			client([problem(429, 'too_many_failures', 'Too many failed attempts')]).api.fetch('/x'),
		)
		expect(bare).toBeInstanceOf(TooManyFailuresError)
		expect((bare as TooManyFailuresError).resetAt).toBeUndefined()
	})

	it('never repeats the key in an error, even when the server echoes it', async () => {
		const { api } = client([problem(400, `bad_${KEY}`, `Key ${KEY} is not welcome`)])
		const error = await failure(api.fetch('/x'))
		expect(error.message).not.toContain(KEY)
		expect(error.detail).toBe('Key [redacted] is not welcome')
		expect(JSON.stringify(error)).not.toContain(KEY)
		expect(String(error.stack)).not.toContain(KEY)
	})
})

describe('keyward wire contract', () => {
	it('maps every code of @keyward/core/wire to an error class with the status core sends it with', async () => {
		expectTypeOf<ApiRejectCode>().toEqualTypeOf<RejectCode>()
		expect(REJECT_CODES.length).toBeGreaterThan(0)
		for (const code of REJECT_CODES) {
			const { status, detail } = REJECTIONS[code]
			const type = ERROR_CLASS_BY_CODE[code]
			expect(type, `${code} has no error class`).toBeDefined()
			expect(type.status, code).toBe(status)
			const error = await failure(client([problem(status, code, detail)], { retry: false }).api.fetch('/x'))
			expect(error.constructor, code).toBe(type)
			expect(error, code).toMatchObject({ status, code, detail })
		}
	})

	it("reads the contract from @keyward/core/wire only, never from core's main entry", async () => {
		const src = new URL('../src/', import.meta.url)
		const specifiers: string[] = []
		for (const name of await readdir(src)) {
			const text = await readFile(new URL(name, src), 'utf8')
			for (const match of text.matchAll(/from '(@keyward\/[^']*)'/g)) specifiers.push(match[1] ?? '')
		}
		expect(specifiers.length).toBeGreaterThan(0)
		expect(new Set(specifiers)).toEqual(new Set(['@keyward/core/wire']))
	})
})

describe('createClient retries', () => {
	const unavailable = () => problem(503, 'unavailable', 'Authentication unavailable')

	it('retries a 503 with exponential backoff and jitter, then succeeds', async () => {
		const { api, sent, sleeps } = client([unavailable(), unavailable(), Response.json({ ok: 1 })], {
			retry: { retries: 3, minDelayMs: 100, maxDelayMs: 10_000 },
		})
		expect(await api.json('/x')).toEqual({ ok: 1 })
		expect(sent).toHaveLength(3)
		// equal jitter with random() = 0.5: three quarters of min(max, 100 * 2^n)
		expect(sleeps).toEqual([75, 150])
	})

	it('gives up after the configured retries with a ServiceUnavailableError', async () => {
		const { api, sent, sleeps } = client([unavailable()], {
			retry: { retries: 2, minDelayMs: 1000, maxDelayMs: 1500 },
		})
		const error = await failure(api.fetch('/x'))
		expect(error).toBeInstanceOf(ServiceUnavailableError)
		expect(error.code).toBe('unavailable')
		expect(sent).toHaveLength(3)
		expect(sleeps).toEqual([750, 1125])
	})

	it('waits at least as long as Retry-After asks, and stops when it asks too much', async () => {
		const polite = client([problem(503, 'unavailable', 'busy', { 'Retry-After': '7' }), Response.json({})], {
			retry: { minDelayMs: 10 },
		})
		await polite.api.fetch('/x')
		expect(polite.sleeps).toEqual([7000])

		const date = new Date(NOW + 5000).toUTCString()
		const dated = client([problem(503, 'unavailable', 'busy', { 'Retry-After': date }), Response.json({})])
		await dated.api.fetch('/x')
		expect(dated.sleeps).toEqual([5000])

		const greedy = client([problem(503, 'unavailable', 'busy', { 'Retry-After': '3600' })])
		const error = await failure(greedy.api.fetch('/x'))
		expect(error.retryAfterMs).toBe(3_600_000)
		expect(greedy.sent).toHaveLength(1)
		expect(greedy.sleeps).toEqual([])
	})

	it('never retries 4xx answers, and not at all with retry: false', async () => {
		for (const status of [400, 401, 403, 404, 429]) {
			const { api, sent } = client([problem(status, 'x', 'y')])
			await failure(api.fetch('/x'))
			expect(sent).toHaveLength(1)
		}
		const off = client([unavailable()], { retry: false })
		await failure(off.api.fetch('/x'))
		expect(off.sent).toHaveLength(1)
	})

	it('does not retry a request whose body is a stream', async () => {
		const { api, sent } = client([unavailable()])
		const body = new ReadableStream({
			start(controller) {
				controller.close()
			},
		})
		await failure(api.fetch('/x', { method: 'POST', body, duplex: 'half' } as RequestInit))
		expect(sent).toHaveLength(1)
	})
})

describe('createClient redirects', () => {
	const redirect = (status: number, location: string) => new Response(null, { status, headers: { location } })

	it('follows same-origin redirects with the key', async () => {
		const { api, sent } = client([redirect(308, '/v1/new-place'), Response.json({ ok: 1 })])
		expect(await api.json('/old-place')).toEqual({ ok: 1 })
		expect(sent.map((s) => [s.url, s.headers.get('authorization'), s.redirect])).toEqual([
			['https://api.example.com/v1/old-place', `Apikey ${KEY}`, 'manual'],
			['https://api.example.com/v1/new-place', `Apikey ${KEY}`, 'manual'],
		])
	})

	it('follows redirects to other origins without the key, whatever header carries it', async () => {
		for (const header of ['Authorization', 'x-api-key']) {
			const { api, sent } = client(
				[
					redirect(302, 'https://files.example.net/report.csv'),
					redirect(302, 'https://api.example.com/v1/back'),
					new Response('csv'),
				],
				{ header },
			)
			expect(await (await api.fetch('/reports/1.csv')).text()).toBe('csv')
			expect(sent.map((s) => s.headers.get(header) !== null)).toEqual([true, false, false])
		}
	})

	it('turns a 303, or a POST answered by 301/302, into a GET without body', async () => {
		const { api, sent } = client([redirect(303, '/v1/result'), Response.json({ done: true })])
		await api.json('/jobs', { method: 'POST', body: { a: 1 } })
		expect(sent[1]).toMatchObject({ method: 'GET', body: null })
		expect(sent[1]?.headers.get('content-type')).toBeNull()

		const kept = client([redirect(307, '/v1/jobs2'), Response.json({})])
		await kept.api.json('/jobs', { method: 'POST', body: { a: 1 } })
		expect(kept.sent[1]).toMatchObject({ method: 'POST', body: '{"a":1}' })
	})

	it('returns the redirect after maxRedirects hops, and honours an explicit redirect mode', async () => {
		const loop = client([redirect(302, '/v1/loop')], { maxRedirects: 3 })
		expect((await loop.api.fetch('/loop')).status).toBe(302)
		expect(loop.sent).toHaveLength(4)
		const manual = client([redirect(302, '/v1/elsewhere')])
		expect((await manual.api.fetch('/x', { redirect: 'manual' })).status).toBe(302)
		expect(manual.sent[0]?.redirect).toBe('manual')
		expect(manual.sent).toHaveLength(1)
	})
})
