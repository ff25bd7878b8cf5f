import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
	createKeyward,
	type Keyward,
	keyPattern,
	MemoryStore,
	REJECTIONS,
	type RejectCode,
} from '@keyward/core'
import { forwardingStore } from '@keyward/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHALLENGE, tamper } from './adapter-harness.js'
import { type HttpAnswer, requestBytes, sendHttp } from './hostile-http.js'

/** Keys a hostile request is built from: `key` and `other` are valid, `revoked` was revoked, `unknown` is another keyward's. */
interface Keys {
	key: string
	other: string
	revoked: string
	unknown: string
}

/** A hand-written request and what it must get: a refusal code, 200 as `key`, or Node's own 400/431. */
interface Case {
	name: string
	build(k: Keys): { target?: string; lines?: (string | Buffer)[] }
	want: RejectCode | 200 | 400 | 431
}

const utf8 = (text: string) => Buffer.from(text, 'utf8')
const long = 'A'.repeat(8 * 1024)

const headerCases: Case[] = [
	// Repeated and folded headers
	{
		name: 'two Authorization: Apikey headers with the same key',
		build: (k) => ({ lines: [`Authorization: Apikey ${k.key}`, `authorization: Apikey ${k.key}`] }),
		want: 'ambiguous',
	},
	{
		name: 'Authorization: Apikey followed by Authorization: Bearer',
		build: (k) => ({ lines: [`Authorization: Apikey ${k.key}`, 'Authorization: Bearer abc'] }),
		want: 'ambiguous',
	},
	{
		// Node keeps only the first Authorization header, so the key is never read.
		name: 'Authorization: Bearer followed by Authorization: Apikey',
		build: (k) => ({ lines: ['Authorization: Bearer abc', `Authorization: Apikey ${k.key}`] }),
		want: 'missing',
	},
	{
		name: 'two x-api-key headers with the same key',
		build: (k) => ({ lines: [`X-Api-Key: ${k.key}`, `x-api-key: ${k.key}`] }),
		want: 'ambiguous',
	},
	{
		name: 'x-api-key listing two keys',
		build: (k) => ({ lines: [`X-Api-Key: ${k.key}, ${k.other}`] }),
		want: 'ambiguous',
	},
	{
		name: 'x-api-key and Authorization with different keys',
		build: (k) => ({ lines: [`X-Api-Key: ${k.key}`, `Authorization: Apikey ${k.other}`] }),
		want: 'ambiguous',
	},
	{
		name: 'x-api-key folded onto a continuation line',
		build: (k) => ({ lines: [`X-Api-Key: ${k.key}`, ' more'] }),
		want: 400,
	},
	{ name: 'key on a continuation line', build: (k) => ({ lines: ['X-Api-Key:', ` ${k.key}`] }), want: 400 },
	{
		name: 'Authorization folded after the scheme',
		build: (k) => ({ lines: ['Authorization: Apikey', `\t${k.key}`] }),
		want: 400,
	},
	// Spacing in Authorization
	{
		name: 'no space after the colon',
		build: (k) => ({ lines: [`Authorization:Apikey ${k.key}`] }),
		want: 200,
	},
	{
		name: 'several spaces between scheme and key',
		build: (k) => ({ lines: [`Authorization: Apikey      ${k.key}`] }),
		want: 200,
	},
	{
		name: 'a tab between scheme and key',
		build: (k) => ({ lines: [`Authorization: Apikey\t${k.key}`] }),
		want: 200,
	},
	{
		name: 'tabs and spaces around scheme and key',
		build: (k) => ({ lines: [`Authorization: \t Apikey \t ${k.key} \t `] }),
		want: 200,
	},
	{ name: 'the scheme alone', build: () => ({ lines: ['Authorization: Apikey'] }), want: 'malformed' },
	{
		name: 'the scheme and spaces',
		build: () => ({ lines: ['Authorization: Apikey  \t '] }),
		want: 'malformed',
	},
	{
		name: 'scheme glued to the key',
		build: (k) => ({ lines: [`Authorization: Apikey${k.key}`] }),
		want: 'missing',
	},
	{
		name: 'a second word after the key',
		build: (k) => ({ lines: [`Authorization: Apikey ${k.key} ${k.other}`] }),
		want: 'malformed',
	},
	{
		name: 'two keys joined by a comma',
		build: (k) => ({ lines: [`Authorization: Apikey ${k.key},${k.other}`] }),
		want: 'malformed',
	},
	{
		name: 'a revoked key between tabs',
		build: (k) => ({ lines: [`Authorization:\tApikey\t${k.revoked}\t`] }),
		want: 'revoked',
	},
	{ name: 'a space before the colon', build: (k) => ({ lines: [`X-Api-Key : ${k.key}`] }), want: 400 },
	// Control characters
	...[
		['NUL', '\x00'],
		['SOH', '\x01'],
		['ESC', '\x1b'],
		['vertical tab', '\x0b'],
		['form feed', '\x0c'],
		['DEL', '\x7f'],
		['bare CR', '\rX'],
	].map(
		([label, char]): Case => ({
			name: `${label} after the key`,
			build: (k) => ({ lines: [`X-Api-Key: ${k.key}${char}`] }),
			want: 400,
		}),
	),
	{
		name: 'bare LF ending the header line',
		build: (k) => ({ lines: [`X-Api-Key: ${k.key}\nX-Other: 1`] }),
		want: 400,
	},
	{
		name: 'ESC inside Authorization',
		build: (k) => ({ lines: [`Authorization: Apikey \x1b${k.key}`] }),
		want: 400,
	},
	// Non-ASCII
	{
		name: 'a Latin-1 byte after the key',
		build: (k) => ({ lines: [`X-Api-Key: ${k.key}\xe9`] }),
		want: 'malformed',
	},
	{
		name: 'UTF-8 text after the key',
		build: (k) => ({ lines: [utf8(`X-Api-Key: ${k.key}€`)] }),
		want: 'malformed',
	},
	{
		name: 'non-breaking spaces around the key (only spaces and tabs are trimmed)',
		build: (k) => ({ lines: [`X-Api-Key: \xa0${k.key}\xa0`] }),
		want: 'malformed',
	},
	{
		name: 'a zero-width space after the key',
		build: (k) => ({ lines: [utf8(`X-Api-Key: ${k.key}\u200b`)] }),
		want: 'malformed',
	},
	{
		name: 'a zero-width space before the key in Authorization',
		build: (k) => ({ lines: [utf8(`Authorization: Apikey \u200b${k.key}`)] }),
		want: 'malformed',
	},
	{
		name: 'a full-width letter in the key',
		build: (k) => ({ lines: [utf8(`X-Api-Key: ${k.key.slice(0, 5)}Ｋ${k.key.slice(6)}`)] }),
		want: 'malformed',
	},
	{
		name: 'a non-ASCII scheme',
		build: (k) => ({ lines: [`Authorization: Apik\xe9y ${k.key}`] }),
		want: 'missing',
	},
	{ name: 'a non-ASCII header name', build: (k) => ({ lines: [`X-Api-K\xe9y: ${k.key}`] }), want: 400 },
	// Very long values
	{ name: 'an 8 KB x-api-key', build: () => ({ lines: [`X-Api-Key: ${long}`] }), want: 'malformed' },
	{
		name: 'an 8 KB Authorization',
		build: () => ({ lines: [`Authorization: Apikey ${long}`] }),
		want: 'malformed',
	},
	{
		name: 'a 1025-character x-api-key',
		build: () => ({ lines: [`X-Api-Key: ${'k'.repeat(1025)}`] }),
		want: 'malformed',
	},
	{
		name: 'a 20 KB header (beyond Node’s limit)',
		build: (k) => ({ lines: [`X-Api-Key: ${k.key}${'A'.repeat(20_000)}`] }),
		want: 431,
	},
]

const queryCases: Case[] = [
	{ name: 'api%5Fkey', build: (k) => ({ target: `/q?api%5Fkey=${k.key}` }), want: 200 },
	{ name: 'api%5fkey (lowercase hex)', build: (k) => ({ target: `/q?api%5fkey=${k.key}` }), want: 200 },
	{ name: '%61pi_key', build: (k) => ({ target: `/q?a=1&%61pi_key=${k.key}` }), want: 200 },
	{
		name: 'a percent-encoded key',
		build: (k) => ({ target: `/q?api_key=${k.key.replace('_', '%5F')}` }),
		want: 200,
	},
	{ name: 'a key padded with + and %09', build: (k) => ({ target: `/q?api_key=+${k.key}%09` }), want: 200 },
	{
		name: 'an unknown key, percent-encoded',
		build: (k) => ({ target: `/q?api_key=${encodeURIComponent(k.unknown)}` }),
		want: 'invalid',
	},
	{
		name: 'double-encoded name api%255Fkey',
		build: (k) => ({ target: `/q?api%255Fkey=${k.key}` }),
		want: 'missing',
	},
	{
		name: 'double-encoded key',
		build: (k) => ({ target: `/q?api_key=${k.key.replace('_', '%255F')}` }),
		want: 'malformed',
	},
	{ name: 'api_key[]=', build: (k) => ({ target: `/q?api_key[]=${k.key}` }), want: 'malformed' },
	{ name: 'api_key[x]=', build: (k) => ({ target: `/q?api_key[x]=${k.key}` }), want: 'malformed' },
	{ name: 'api_key%5B%5D=', build: (k) => ({ target: `/q?api_key%5B%5D=${k.key}` }), want: 'malformed' },
	{
		name: 'api_key[]= twice',
		build: (k) => ({ target: `/q?api_key[]=${k.key}&api_key[]=${k.other}` }),
		want: 'ambiguous',
	},
	{ name: '__proto__=<key>', build: (k) => ({ target: `/q?__proto__=${k.key}` }), want: 'missing' },
	{
		name: '__proto__[api_key]=<key>',
		build: (k) => ({ target: `/q?__proto__[api_key]=${k.key}` }),
		want: 'missing',
	},
	{ name: 'constructor=<key>', build: (k) => ({ target: `/q?constructor=${k.key}` }), want: 'missing' },
	{
		name: 'constructor[prototype][api_key]=<key>',
		build: (k) => ({ target: `/q?constructor[prototype][api_key]=${k.key}` }),
		want: 'missing',
	},
	{
		name: '__proto__ next to a valid key',
		build: (k) => ({ target: `/q?__proto__=x&api_key=${k.key}` }),
		want: 200,
	},
	{
		name: 'the same key twice',
		build: (k) => ({ target: `/q?api_key=${k.key}&api_key=${k.key}` }),
		want: 'ambiguous',
	},
	{ name: 'api_key without =', build: () => ({ target: '/q?api_key' }), want: 'malformed' },
	{ name: 'api_key=', build: () => ({ target: '/q?api_key=&b=1' }), want: 'malformed' },
	{ name: 'an undecodable value', build: () => ({ target: '/q?api_key=%ZZ' }), want: 'malformed' },
	{
		name: 'a ;-joined second key',
		build: (k) => ({ target: `/q?api_key=${k.key};api_key=${k.other}` }),
		want: 'malformed',
	},
	{ name: 'an 8 KB value', build: () => ({ target: `/q?api_key=${long}` }), want: 'malformed' },
	{
		name: 'a 20 KB request target',
		build: () => ({ target: `/q?api_key=${'A'.repeat(20_000)}` }),
		want: 431,
	},
	{ name: 'the key in the fragment', build: (k) => ({ target: `/q#api_key=${k.key}` }), want: 'missing' },
	{
		name: 'the key in the fragment after a query',
		build: (k) => ({ target: `/q?a=1#api_key=${k.key}` }),
		want: 'missing',
	},
	{ name: 'a query-like fragment', build: (k) => ({ target: `/q#x?api_key=${k.key}` }), want: 'missing' },
	{ name: 'a trailing %0A', build: (k) => ({ target: `/q?api_key=${k.key}%0A` }), want: 'malformed' },
	{ name: 'a trailing %0D%0A', build: (k) => ({ target: `/q?api_key=${k.key}%0D%0A` }), want: 'malformed' },
	{
		name: 'a trailing zero-width space',
		build: (k) => ({ target: `/q?api_key=${k.key}%E2%80%8B` }),
		want: 'malformed',
	},
	{
		name: 'a leading zero-width space',
		build: (k) => ({ target: `/q?api_key=%E2%80%8B${k.key}` }),
		want: 'malformed',
	},
	{
		name: 'a trailing non-breaking space',
		build: (k) => ({ target: `/q?api_key=${k.key}%C2%A0` }),
		want: 'malformed',
	},
	{
		name: 'a raw non-ASCII byte in the target',
		build: (k) => ({ target: `/q?api_key=${k.key}\xe9` }),
		want: 400,
	},
	{ name: 'a space in the target', build: (k) => ({ target: `/q?api_key=${k.key} x` }), want: 400 },
	{
		name: 'absolute-form target',
		build: (k) => ({ target: `http://127.0.0.1/q?api_key=${k.key}` }),
		want: 200,
	},
	{ name: 'the key as a path segment', build: (k) => ({ target: `/${k.key}` }), want: 'missing' },
]

/** How an adapter takes part in {@link describeAdapterHostileRequests}. */
export interface HostileAdapter {
	/**
	 * A request listener: `apiKeyAuth(keyward)`, then a handler that calls `record.hit()` and answers
	 * JSON `{ id, url }` (the key id or `null`, and the original URL as later middleware sees it).
	 * Errors that reach the framework's error handling go to `record.error`.
	 */
	listener(keyward: Keyward, record: { hit(): void; error(error: unknown): void }): RequestListener
}

/**
 * Hostile-request suite shared by the adapters: hand-written requests over raw sockets (repeated,
 * folded, oversized and non-ASCII headers; hostile query strings) get the refusal the design
 * names, or Node's own 400/431, never key text, and the server keeps serving.
 */
export function describeAdapterHostileRequests(adapter: HostileAdapter): void {
	const memory = new MemoryStore()
	let lookups = 0
	const store = forwardingStore(memory, {
		findByHash: (h) => {
			lookups++
			return memory.findByHash(h)
		},
	})
	const keyward = createKeyward({ store, usage: memory })
	const errors: unknown[] = []
	const server = createServer()
	let port: number
	let keys: Keys
	let keyId: string
	let hits = 0

	beforeAll(async () => {
		const created = await keyward.createKey({ owner: 'acme' })
		const revoked = await keyward.createKey({ owner: 'acme' })
		await keyward.revokeKey(revoked.info.id)
		keyId = created.info.id
		keys = {
			key: created.key,
			other: (await keyward.createKey({ owner: 'acme' })).key,
			revoked: revoked.key,
			unknown: (await createKeyward().createKey({ owner: 'x' })).key,
		}
		server.on(
			'request',
			adapter.listener(keyward, {
				hit: () => hits++,
				error: (error) => errors.push(error),
			}),
		)
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
		port = (server.address() as AddressInfo).port
	})

	afterAll(async () => {
		await new Promise<void>((resolve) => server.close(() => resolve()))
		expect(errors).toStrictEqual([])
	})

	/** Send hand-written bytes; fails on a hang (2 s) and on any key text in the raw response. */
	async function send(target: string, lines: readonly (string | Buffer)[] = []): Promise<HttpAnswer> {
		const answer = await sendHttp(port, requestBytes(target, lines), { timeoutMs: 2000 })
		expect(answer.raw.match(keyPattern('kw', 'g'))).toBeNull()
		for (const k of Object.values(keys)) {
			for (const secret of [k, k.slice(-24), tamper(k)]) expect(answer.raw).not.toContain(secret)
		}
		return answer
	}

	function expectRefusal(answer: HttpAnswer, code: RejectCode): void {
		const { status, detail } = REJECTIONS[code]
		expect(answer.status).toBe(status)
		expect(answer.headers['content-type']).toMatch(/^application\/json/)
		expect(JSON.parse(answer.body)).toStrictEqual({ detail, code })
		if (status === 401) expect(answer.headers['www-authenticate']).toBe(CHALLENGE)
	}

	async function run({ build, want }: Case): Promise<void> {
		const { target = '/', lines = [] } = build(keys)
		const before = { hits, lookups }
		const answer = await send(target, lines)
		if (want === 200) {
			expect(answer.status).toBe(200)
			const body = JSON.parse(answer.body) as { id: string; url: string }
			expect(body.id).toBe(keyId)
			expect(body.url).not.toContain('api')
		} else if (want === 400 || want === 431) {
			// Node's parser refuses the request before the app sees it.
			expect(answer.status).toBe(want)
			expect(answer.body).toBe('')
			expect(hits).toBe(before.hits)
		} else {
			expectRefusal(answer, want)
			expect(hits).toBe(before.hits)
		}
		if (want === 'malformed') expect(lookups).toBe(before.lookups)
		// The server survived and still serves a valid request.
		expect((await send('/', [`X-Api-Key: ${keys.key}`])).status).toBe(200)
	}

	describe('hostile headers over a raw socket', () => {
		for (const c of headerCases) it(c.name, () => run(c))
	})

	describe('hostile query strings over a raw socket', () => {
		for (const c of queryCases) it(c.name, () => run(c))
	})

	describe('unknown and malformed keys look alike', () => {
		it('same status, detail and headers; only the code differs', async () => {
			const unknown = await send('/', [`X-Api-Key: ${keys.unknown}`])
			const malformed = await send('/', [`X-Api-Key: ${tamper(keys.key)}`])
			expectRefusal(unknown, 'invalid')
			expectRefusal(malformed, 'malformed')
			const { code: _u, ...unknownBody } = JSON.parse(unknown.body) as Record<string, string>
			const { code: _m, ...malformedBody } = JSON.parse(malformed.body) as Record<string, string>
			expect(unknownBody).toStrictEqual(malformedBody)
			// Date, length and (Express's) ETag follow from the body; everything else is the same.
			const comparable = ({ headers }: HttpAnswer) => {
				const { date: _d, 'content-length': _l, etag: _e, ...rest } = headers
				return rest
			}
			expect(comparable(unknown)).toStrictEqual(comparable(malformed))
			expect(Object.keys(unknown.headers)).toStrictEqual(Object.keys(malformed.headers))
		})
	})
}
