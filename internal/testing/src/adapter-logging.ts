import type { Server } from 'node:http'
import {
	createKeyward,
	type HideCredentials,
	type KeyInfo,
	type Keyward,
	type KeywardEvents,
	keyPattern,
	MemoryStore,
	redactHeaders,
	redactUrl,
} from '@keyward/core'
import { failingStore } from '@keyward/core/testing'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Seen } from './adapter-app.js'
import { secret, send, tamper } from './adapter-harness.js'

/** What a pino-style serializer takes of a request before authentication. */
export interface LoggedRequest {
	method: string
	/** The copies of the URL to log, by the name they are logged under; a bare query string with its `?`. */
	urls: Record<string, string>
	query: Record<string, unknown>
	headers: Record<string, string | string[] | undefined>
	rawHeaders: readonly string[]
}

/** Where an adapter's logging app writes at each stage; {@link describeAdapterLogging} keeps the lines. */
export interface RequestLog {
	/** Before authentication, as a pino-style serializer: logged with credentials hidden by core's helpers. */
	redacted(request: LoggedRequest): void
	/**
	 * After authentication (a middleware behind it, a logger when the response is done, error
	 * handling): what the framework shows of the request, and the error that error handling caught.
	 */
	raw(seen: Seen, error?: Error): void
	/** What the final handler got as the key. */
	handled(apiKey: KeyInfo | undefined): void
	/** The logger that runs when the response is done has run. */
	finished(): void
}

/** `rawHeaders` (name, value, name, value...) with credential values hidden by core's `redactHeaders`. */
function redactRawHeaders(rawHeaders: readonly string[]): string[] {
	const out: string[] = []
	for (let i = 0; i < rawHeaders.length; i += 2) {
		const name = rawHeaders[i] as string
		out.push(name, redactHeaders({ [name]: rawHeaders[i + 1] })[name] as string)
	}
	return out
}

/** A {@link RequestLog} for one app, with the lines it kept and how many responses finished. */
function openLog(hide: HideCredentials) {
	const redactedLines: string[] = []
	const rawLines: string[] = []
	let finished = 0
	const log: RequestLog = {
		redacted({ method, urls, query, headers, rawHeaders }) {
			const line = {
				method,
				urls: Object.fromEntries(Object.entries(urls).map(([name, url]) => [name, redactUrl(url)])),
				query: redactHeaders(query, { headers: ['api_key'] }),
				headers: redactHeaders(headers),
				rawHeaders: redactRawHeaders(rawHeaders),
			}
			redactedLines.push(JSON.stringify(line))
		},
		raw(seen, error) {
			// With `hideCredentials: 'query'` the headers keep the key by design: only the rest is taken.
			const { headers, rawHeaders, ...rest } = seen
			const copy = hide === true ? seen : rest
			const line = error === undefined ? copy : { seen: copy, message: error.message, stack: error.stack }
			rawLines.push(JSON.stringify(line))
		},
		handled(apiKey) {
			rawLines.push(JSON.stringify({ apiKey }))
		},
		finished() {
			finished++
		},
	}
	return { log, redactedLines, rawLines, finished: () => finished }
}

/**
 * Logging suite shared by the adapters: for every way of presenting a key and every outcome, the
 * redacted logs hold no key text, raw copies of the request after auth hold none unless the
 * caller chose to keep them, and keyward's events and errors carry none. `loggedApp` serves
 * `apiKeyAuth(keyward, { hideCredentials: hide })` with loggers before and after it writing to
 * `log`, `requireScopes('admin')` on `/admin`, a handler that throws on `/boom`, and error
 * handling. Call `useHarness()` in the test file too.
 */
export function describeAdapterLogging(
	loggedApp: (keyward: Keyward, hide: HideCredentials, log: RequestLog) => Promise<Server>,
): void {
	type Source = 'x-api-key' | 'authorization' | 'query'
	const SOURCES: readonly Source[] = ['x-api-key', 'authorization', 'query']

	function present(source: Source, key: string, path = '/'): [string, Record<string, string>] {
		if (source === 'query') return [`${path}?page=2&api_key=${key}`, {}]
		return [path, source === 'x-api-key' ? { 'x-api-key': key } : { authorization: `Apikey ${key}` }]
	}

	const time = { now: Date.UTC(2026, 10, 15, 12) }
	const memory = new MemoryStore()
	const keyward = createKeyward({ store: memory, environment: 'live', now: () => time.now })
	const down = createKeyward({ store: failingStore(), environment: 'live' })
	const events: unknown[] = []
	const k: Record<string, string> = {}
	let secrets: string[] = []

	beforeAll(async () => {
		const names: (keyof KeywardEvents)[] = [
			'key.created',
			'key.revoked',
			'request.verified',
			'request.rejected',
			'error',
		]
		for (const name of names) keyward.on(name, (event) => events.push(event))
		k.valid = (await keyward.createKey({ owner: 'acme', scopes: ['read'] })).key
		k.other = (await keyward.createKey({ owner: 'acme' })).key
		const revoked = await keyward.createKey({ owner: 'acme' })
		await keyward.revokeKey(revoked.info.id)
		k.revoked = revoked.key
		k.expired = (await keyward.createKey({ owner: 'acme', expiresIn: 1000 })).key
		time.now += 2000
		k.spent = (await keyward.createKey({ owner: 'acme', monthlyQuota: 0 })).key
		k.unknown = (await createKeyward({ environment: 'live' }).createKey({ owner: 'x' })).key
		k.wrongEnvironment = (await createKeyward({ environment: 'test' }).createKey({ owner: 'x' })).key
		k.tampered = tamper(k.valid)
		secrets = Object.values(k).map(secret)
		for (const record of await memory.list({})) secrets.push(record.hash)
	})

	/** Each case: the app it needs and the requests (one per source where that makes sense). */
	const cases: Array<{
		name: string
		keyward: () => Keyward
		requests: () => Array<[string, Record<string, string>]>
		/** The status, or refusal code, of every response (or of each one in turn). */
		want: number | string | readonly (number | string)[]
	}> = [
		{
			name: '200 success',
			keyward: () => keyward,
			requests: () => SOURCES.map((s) => present(s, k.valid as string)),
			want: 200,
		},
		{ name: '401 missing', keyward: () => keyward, requests: () => [['/?page=1', {}]], want: 'missing' },
		...(
			[
				['a tampered', 'tampered', 'malformed'],
				['an unknown', 'unknown', 'invalid'],
				['a revoked', 'revoked', 'revoked'],
				['an expired', 'expired', 'expired'],
				["another environment's", 'wrongEnvironment', 'wrong_environment'],
			] as const
		).map(([label, which, code]) => ({
			name: `401 for ${label} key`,
			keyward: () => keyward,
			requests: () => SOURCES.map((s) => present(s, k[which] as string)),
			want: code,
		})),
		{
			name: '401 ambiguous',
			keyward: () => keyward,
			requests: (): Array<[string, Record<string, string>]> => [
				[`/?api_key=${k.other}`, { 'x-api-key': k.valid as string }],
				['/', { authorization: `Apikey ${k.other}`, 'x-api-key': k.valid as string }],
				[`/?api_key=${k.valid}&api_key=${k.valid}`, {}],
				['/', { 'x-api-key': `${k.valid}, ${k.other}` }],
			],
			want: 'ambiguous',
		},
		{
			name: 'the query parameter spelled in other ways',
			keyward: () => keyward,
			requests: () => [
				[`/?api%5Fkey=${k.valid}`, {}],
				[`/?%61pi_key=${k.valid}&b=1`, {}],
				[`/?api_key[]=${k.valid}`, {}],
				[`/?b=1&api_key[x]=${k.valid}`, {}],
				[`/?api_key=${k.valid}%E2%80%8B`, {}],
			],
			want: [200, 200, 'malformed', 'malformed', 'malformed'],
		},
		{
			name: '403 insufficient_scope',
			keyward: () => keyward,
			requests: () => SOURCES.map((s) => present(s, k.valid as string, '/admin')),
			want: 'insufficient_scope',
		},
		{
			name: '429 quota_exceeded',
			keyward: () => keyward,
			requests: () => SOURCES.map((s) => present(s, k.spent as string)),
			want: 'quota_exceeded',
		},
		{
			name: '429 too_many_failures',
			keyward: () => createKeyward({ store: memory, environment: 'live', failureLimit: { max: 1 } }),
			requests: () => [
				present('query', k.tampered as string),
				...SOURCES.map((s) => present(s, k.valid as string)),
			],
			want: ['malformed', 'too_many_failures', 'too_many_failures', 'too_many_failures'],
		},
		{
			name: '503 unavailable',
			keyward: () => down,
			requests: () => SOURCES.map((s) => present(s, k.valid as string)),
			want: 'unavailable',
		},
		{
			name: '500 from a handler after auth',
			keyward: () => keyward,
			requests: () => SOURCES.map((s) => present(s, k.valid as string, '/boom')),
			want: 500,
		},
	]

	function leaks(text: string): string[] {
		return [...(text.match(keyPattern('kw', 'g')) ?? []), ...secrets.filter((s) => text.includes(s))]
	}

	describe.each([true, 'query'] as const)('hideCredentials: %s', (hide) => {
		for (const { name, keyward: pick, requests, want } of cases) {
			it(`${name}: no key text in any log line`, async () => {
				const sinks = openLog(hide)
				const server = await loggedApp(pick(), hide, sinks.log)
				const sent = requests()
				for (const [i, [path, headers]] of sent.entries()) {
					const answer = await send(server, path, headers)
					const expected = Array.isArray(want) ? want[i] : want
					const body = answer.body as { code?: string }
					expect(typeof expected === 'number' ? answer.status : body.code).toBe(expected)
				}
				await expect.poll(sinks.finished).toBe(sent.length)
				expect(sinks.redactedLines).toHaveLength(sent.length)
				expect(leaks(sinks.redactedLines.join('\n'))).toStrictEqual([])
				expect(leaks(sinks.rawLines.join('\n'))).toStrictEqual([])
			})
		}
	})

	it('keyward events never carry a key or its hash', () => {
		expect(events.length).toBeGreaterThan(20)
		expect(leaks(JSON.stringify(events))).toStrictEqual([])
	})
}
