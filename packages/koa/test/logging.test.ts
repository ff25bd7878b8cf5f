import {
	createKeyward,
	type HideCredentials,
	type Keyward,
	type KeywardEventName,
	keyPattern,
	MemoryStore,
	redactHeaders,
	redactUrl,
} from '@keyward/core'
import { failingStore, secret, send, serve, tamper, useHarness } from '@keyward/internal-testing'
import Koa, { type ParameterizedContext } from 'koa'
import { beforeAll, describe, expect, it } from 'vitest'
import { apiKeyAuth, requireScopes } from '../src/index.js'
import { snapshot } from './app.js'

useHarness()

/** What loggers wrote: `redacted` by a pino-style serializer before auth, `raw` copies of the request after it. */
interface Sinks {
	redacted: string[]
	raw: string[]
}

/** A pino-style request serializer that hides credentials with core's helpers. */
function serialize(ctx: ParameterizedContext) {
	const rawHeaders = ctx.req.rawHeaders
	const raw: string[] = []
	for (let i = 0; i < rawHeaders.length; i += 2) {
		const name = rawHeaders[i] as string
		raw.push(name, redactHeaders({ [name]: rawHeaders[i + 1] })[name] as string)
	}
	return {
		method: ctx.method,
		url: redactUrl(ctx.originalUrl),
		path: redactUrl(ctx.url),
		href: redactUrl(ctx.href),
		querystring: redactUrl(`?${ctx.querystring}`),
		query: redactHeaders(ctx.query, { headers: ['api_key'] }),
		headers: redactHeaders(ctx.headers),
		rawHeaders: raw,
	}
}

/**
 * What a logger reads after authentication. With `hideCredentials: 'query'` headers keep the key
 * by design, so only the URL and query copies are taken.
 */
function rawCopy(ctx: ParameterizedContext, hide: HideCredentials) {
	const { headers, rawHeaders, ...urls } = snapshot(ctx)
	return hide === true ? { ...urls, headers, rawHeaders } : urls
}

/**
 * An app logging at every stage: a pino-style serializer before auth, a koa-logger-style logger once
 * the response is done, an error-handling middleware, Koa's error event, a middleware after auth and
 * the final middleware.
 */
async function loggedApp(keyward: Keyward, hide: HideCredentials) {
	const sinks: Sinks = { redacted: [], raw: [] }
	let finished = 0
	const app = new Koa()
	app.on('error', (error: Error, ctx: ParameterizedContext) => {
		sinks.raw.push(JSON.stringify({ seen: rawCopy(ctx, hide), message: error.message, stack: error.stack }))
	})
	app.use(async function accessLog(ctx, next) {
		sinks.redacted.push(JSON.stringify(serialize(ctx)))
		try {
			await next()
		} finally {
			sinks.raw.push(JSON.stringify(rawCopy(ctx, hide)))
			finished++
		}
	})
	app.use(async function handleErrors(ctx, next) {
		try {
			await next()
		} catch (error) {
			const { message, stack } = error as Error
			sinks.raw.push(JSON.stringify({ seen: rawCopy(ctx, hide), message, stack }))
			ctx.status = 500
			ctx.body = { error: 'internal' }
		}
	})
	app.use(apiKeyAuth(keyward, { hideCredentials: hide }))
	app.use(async function afterAuth(ctx, next) {
		sinks.raw.push(JSON.stringify(rawCopy(ctx, hide)))
		await next()
	})
	const adminOnly = requireScopes('admin')
	app.use((ctx, next) => (ctx.path === '/admin' ? adminOnly(ctx, next) : next()))
	app.use((ctx) => {
		if (ctx.path === '/boom') throw new Error('handler failed')
		sinks.raw.push(JSON.stringify({ apiKey: ctx.state.apiKey }))
		ctx.body = { id: ctx.state.apiKey?.id ?? null }
	})
	return { server: await serve(app.callback()), sinks, finished: () => finished }
}

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
	const names: KeywardEventName[] = [
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
