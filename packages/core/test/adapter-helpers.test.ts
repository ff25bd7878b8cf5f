import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createAuthenticator } from '../src/authenticator.js'
import type { FrameworkBinding } from '../src/framework-binding.js'
import { readKeyManagementBodyFrom } from '../src/key-management-body.js'
import { KeyManagementRefusal } from '../src/key-management-policy.js'
import { createKeyward } from '../src/keyward.js'
import { createLogRedactor } from '../src/log-redaction.js'
import { setHeaders } from '../src/middleware.js'
import type { RequestBody } from '../src/request-body.js'
import type { NodeRequest } from '../src/types.js'

describe('createLogRedactor', () => {
	const keyward = createKeyward()
	const redact = createLogRedactor(keyward)

	it('removes the query credential from every URL in a line, and key-shaped text anywhere', async () => {
		const { key } = await keyward.createKey({ owner: 'acme' })
		expect(redact(`<-- GET /items?a=1&api_key=${key}&b=2`)).toBe('<-- GET /items?a=1&b=2')
		expect(redact(`--> GET /x?api%5Fkey=junk 401 3ms`)).toBe('--> GET /x 401 3ms')
		expect(redact(`http://h/a?api_key[]=x http://h/b?api_key=y&c=1`)).toBe('http://h/a http://h/b?c=1')
		expect(redact(`failed for ${key} at /${key}/x`)).toBe('failed for [REDACTED] at /[REDACTED]/x')
		expect(redact('/plain?who=me is fine')).toBe('/plain?who=me is fine')
		expect(redact(`'/%zz?api_key=x' is not valid; "url":"/a?b=1&api_key=y"`)).toBe(
			`'/%zz' is not valid; "url":"/a?b=1"`,
		)
		expect(redact(`/p?note=%20${key}&x=${key.replace('_', '%5F')}`)).toBe(
			'/p?note=%20[REDACTED]&x=[REDACTED]',
		)
	})

	it("follows the keyward's query parameter and prefix", async () => {
		const own = createKeyward({ prefix: 'acme', extract: { query: 'token' } })
		const { key } = await own.createKey({ owner: 'x' })
		const redactOwn = createLogRedactor(own)
		expect(redactOwn(`/a?token=t&api_key=k`)).toBe('/a?api_key=k')
		expect(redactOwn(`key ${key}`)).toBe('key [REDACTED]')
	})

	it('never throws and leaves no key text, whatever the line', () => {
		const key = 'kw_3mQ7bXzT9kLqW2cV8nR5yH1jF6gD4sA0pE7u'
		fc.assert(
			fc.property(fc.string(), fc.string(), (before, after) => {
				const line = redact(`${before}?api_key=${key}&${after}`)
				expect(line).not.toContain(key)
			}),
		)
	})
})

describe('readKeyManagementBodyFrom', () => {
	function source(text: string | RequestBody, mediaType = 'application/json', consumed = false) {
		const body: RequestBody = typeof text === 'string' ? { ok: true, text } : text
		return { hasBody: true, mediaType, consumed, read: async () => body }
	}

	async function refusal(run: Promise<unknown>) {
		const error = await run.catch((e: unknown) => e)
		expect(error).toBeInstanceOf(KeyManagementRefusal)
		const { status, code } = error as KeyManagementRefusal
		return [status, code]
	}

	it('reads a JSON object, or {} without a body', async () => {
		expect(await readKeyManagementBodyFrom(source('{"name":"ci"}'), undefined)).toEqual({ name: 'ci' })
		expect(await readKeyManagementBodyFrom(source(' '), undefined)).toEqual({})
		expect(await readKeyManagementBodyFrom({ ...source('x'), hasBody: false }, undefined)).toEqual({})
		expect(await readKeyManagementBodyFrom(source('ignored'), { parsed: true })).toEqual({ parsed: true })
	})

	it('refuses what is not one JSON object within the limit', async () => {
		expect(await refusal(readKeyManagementBodyFrom(source('[1]'), undefined))).toEqual([
			400,
			'invalid_argument',
		])
		expect(await refusal(readKeyManagementBodyFrom(source('{'), undefined))).toEqual([400, 'invalid_json'])
		const text = source('{}', 'text/plain')
		expect(await refusal(readKeyManagementBodyFrom(text, undefined))).toEqual([415, 'unsupported_media_type'])
		const big = source({ ok: false, reason: 'too_large' })
		expect(await refusal(readKeyManagementBodyFrom(big, undefined))).toEqual([413, 'payload_too_large'])
		const cut = source({ ok: false, reason: 'aborted' })
		expect(await refusal(readKeyManagementBodyFrom(cut, undefined))).toEqual([400, 'invalid_argument'])
		const used = source('{}', 'application/json', true)
		expect(await refusal(readKeyManagementBodyFrom(used, undefined))).toEqual([400, 'invalid_argument'])
	})
})

describe('createAuthenticator with options of the adapter', () => {
	const binding: FrameworkBinding<NodeRequest, () => boolean> = {
		name: 'apiKeyAuth',
		options: ['client'],
		request: (req) => req,
		client: () => undefined,
		skip: (skip) => skip(),
		hide: () => undefined,
		accept: () => undefined,
		key: () => undefined,
		refuse: () => undefined,
	}

	it('lets the names the binding reads pass, and suggests them for a misspelt one', () => {
		const keyward = createKeyward()
		const options = { client: () => 'x', optional: true }
		expect(() => createAuthenticator(keyward, options as never, binding)).not.toThrow()
		expect(() => createAuthenticator(keyward, { clinet: 1 } as never, binding)).toThrow(
			/did you mean "client"/,
		)
		const { options: _, ...strict } = binding
		expect(() => createAuthenticator(keyward, options as never, strict)).toThrow(/Unknown option "client"/)
	})
})

describe('createAuthenticator answers', () => {
	function recorder() {
		const seen: string[] = []
		const binding: FrameworkBinding<NodeRequest, () => boolean> = {
			name: 'apiKeyAuth',
			request: (req) => req,
			client: () => undefined,
			skip: (skip) => skip(),
			hide: () => undefined,
			accept: (_req, result) => {
				seen.push(`accept ${result.key.id}`)
			},
			key: () => undefined,
			refuse: (_req, refusal) => {
				seen.push(`refuse ${refusal.code}`)
			},
		}
		return { seen, binding }
	}
	const request = (key: string): NodeRequest => ({ url: '/', headers: { 'x-api-key': key }, method: 'GET' })

	it('a boolean at once for a key decided without I/O, a promise only where the store is asked', async () => {
		const keyward = createKeyward()
		const { key, info } = await keyward.createKey({ owner: 'acme', monthlyQuota: 10 })
		const id = info.id
		const { seen, binding } = recorder()
		const authenticate = createAuthenticator(keyward, {}, binding)
		// The first request reads the store; the next ones are answered from the cache, at once.
		expect(await authenticate(request(key))).toBe(true)
		expect(authenticate(request(key))).toBe(true)
		expect(authenticate(request('nope'))).toBe(false)
		expect(authenticate({ url: '/', headers: {}, method: 'GET' })).toBe(false)
		expect(seen).toEqual([`accept ${id}`, `accept ${id}`, 'refuse malformed', 'refuse missing'])
		await keyward.close()
	})

	it('errors always come as a rejected promise, never thrown', async () => {
		const keyward = createKeyward()
		const { key } = await keyward.createKey({ owner: 'acme' })
		const { binding } = recorder()
		const failing = {
			...binding,
			accept: () => {
				throw new Error('accept failed')
			},
		}
		const authenticate = createAuthenticator(keyward, {}, failing)
		await expect(authenticate(request(key))).rejects.toThrow('accept failed')
		// Cached now: the failure happens without I/O, and still arrives as a rejection.
		const answer = authenticate(request(key))
		expect(answer).toBeInstanceOf(Promise)
		await expect(answer).rejects.toThrow('accept failed')
		const throwingRequest = { ...binding, request: (): NodeRequest => ({}) as never }
		await expect(createAuthenticator(keyward, {}, throwingRequest)({} as NodeRequest)).rejects.toThrow()
		await keyward.close()
	})

	it('works with any object that has a verify, through its promise', async () => {
		const keyward = createKeyward()
		const { key } = await keyward.createKey({ owner: 'acme' })
		const wrapped = { ...keyward, verify: keyward.verify }
		const { seen, binding } = recorder()
		const authenticate = createAuthenticator(wrapped, {}, binding)
		const answer = authenticate(request(key))
		expect(answer).toBeInstanceOf(Promise)
		expect(await answer).toBe(true)
		expect(seen).toHaveLength(1)
		await keyward.close()
	})
})

describe('setHeaders', () => {
	it('sets every header on the response with setHeader', () => {
		const set: [string, string][] = []
		setHeaders(
			{ setHeader: (name, value) => set.push([name, value]) },
			{ RateLimit: 'a', 'RateLimit-Policy': 'b' },
		)
		expect(set).toEqual([
			['RateLimit', 'a'],
			['RateLimit-Policy', 'b'],
		])
	})
})
