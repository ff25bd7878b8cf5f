import type { Server } from 'node:http'
import {
	createKeyward,
	type HideCredentials,
	type Keyward,
	type KeywardEvents,
	keyPattern,
	MemoryStore,
} from '@keyward/core'
import { failingStore } from '@keyward/core/testing'
import { beforeAll, describe, expect, it } from 'vitest'
import { secret, send, tamper } from './adapter-harness.js'

/** What an adapter's logging app wrote: `redacted` by a pino-style serializer before auth, `raw` copies of the request after it. */
export interface LoggingSinks {
	redacted: string[]
	raw: string[]
}

/** An adapter's app that logs at every stage, with what it logged and how many responses finished. */
export interface LoggedApp {
	server: Server
	sinks: LoggingSinks
	finished: () => number
}

/**
 * Logging suite shared by the adapters: for every way of presenting a key and every outcome, the
 * redacted logs hold no key text, raw copies of the request after auth hold none unless the
 * caller chose to keep them, and keyward's events and errors carry none. `loggedApp` serves
 * `apiKeyAuth(keyward, { hideCredentials: hide })` with loggers before and after it, `requireScopes('admin')`
 * on `/admin`, a handler that throws on `/boom`, and an error handler. Call `useHarness()` in the test file too.
 */
export function describeAdapterLogging(
	loggedApp: (keyward: Keyward, hide: HideCredentials) => Promise<LoggedApp>,
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
				const app = await loggedApp(pick(), hide)
				const sent = requests()
				for (const [i, [path, headers]] of sent.entries()) {
					const answer = await send(app.server, path, headers)
					const expected = Array.isArray(want) ? want[i] : want
					const body = answer.body as { code?: string }
					expect(typeof expected === 'number' ? answer.status : body.code).toBe(expected)
				}
				await expect.poll(app.finished).toBe(sent.length)
				expect(app.sinks.redacted).toHaveLength(sent.length)
				expect(leaks(app.sinks.redacted.join('\n'))).toStrictEqual([])
				expect(leaks(app.sinks.raw.join('\n'))).toStrictEqual([])
			})
		}
	})

	it('keyward events never carry a key or its hash', () => {
		expect(events.length).toBeGreaterThan(20)
		expect(leaks(JSON.stringify(events))).toStrictEqual([])
	})
}
