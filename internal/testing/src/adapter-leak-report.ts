import { createHash } from 'node:crypto'
import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createKeyward, type Keyward, keyPattern, MemoryStore } from '@keyward/core'
import type { LeakedKey, LeakReportOptions } from '@keyward/core/management'
import { generateKey } from '@keyward/core/testing'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tamper } from './adapter-harness.js'
import type { HeaderReader } from './adapter-key-router.js'
import { sendEndlessBody } from './endless-body.js'
import { type ReportKeyServer, startReportKeyServer } from './report-keys.js'

/** How an adapter takes part in {@link describeLeakReportHandler}. */
export interface LeakReportAdapter {
	/** `'Express'`, `'Koa'` */
	readonly name: string
	/**
	 * An app serving `leakReportHandler(keyward, options)` at `POST /leaks`, `apiKeyAuth(keyward)`
	 * on `GET /api/hello` (answering `{ owner }`), and a host error handler answering 500
	 * `{ detail: 'host error handler' }`; with `hostJson`, a JSON body parser of the host runs first.
	 */
	appFor(keyward: Keyward, options: LeakReportOptions<HeaderReader>, hostJson?: boolean): RequestListener
	/** The adapter's `leakReportHandler`, for the option checks. */
	handler(keyward: Keyward, options: LeakReportOptions<HeaderReader>): unknown
}

const TYPE = 'keyward_api_key'
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** A report as GitHub sends it: one `{ token, type, url, source }` per token. */
function report(
	tokens: readonly string[],
	url = 'https://github.com/acme/app/blob/0a1b2c/config/production.json',
) {
	return JSON.stringify(tokens.map((token) => ({ token, type: TYPE, url, source: 'content' })))
}

/**
 * Leak-report suite shared by the adapters, over real HTTP: a signed report revokes the key (the
 * next request with it gets 401 `revoked`) with an audit entry naming the reported URL; labels;
 * forged, tampered and replayed-with-another-signature reports, oversized and malformed bodies
 * revoke nothing; the owner hook runs once per key; plain reports with a shared secret or
 * `authorize`; option checks. No response carries key text unless `tokenField: 'token_raw'`.
 */
export function describeLeakReportHandler(adapter: LeakReportAdapter): void {
	let keys: ReportKeyServer
	const responses: string[] = []
	beforeAll(async () => {
		keys = await startReportKeyServer()
	})
	afterAll(async () => {
		await keys.close()
		expect(responses.length).toBeGreaterThan(20)
		for (const text of responses) expect(text.match(keyPattern('kw', 'g'))).toBeNull()
	})

	async function setup(options?: LeakReportOptions<HeaderReader>, hostJson = false) {
		const store = new MemoryStore()
		const keyward = createKeyward({ store })
		const notified: LeakedKey[] = []
		const app = adapter.appFor(
			keyward,
			{
				...(options ?? { publicKeys: { url: keys.url } }),
				notify: (leak) => {
					notified.push(leak)
				},
			},
			hostJson,
		)
		const create = async (owner = 'acme') => (await keyward.createKey({ owner })).key
		return { store, keyward, notified, app, create }
	}

	async function post(app: RequestListener, body: string, headers: Record<string, string> = {}) {
		const res = await request(app)
			.post('/leaks')
			.set({ 'content-type': 'application/json', ...headers })
			.send(body)
		responses.push(res.text)
		return res
	}

	async function hello(app: RequestListener, key: string) {
		const res = await request(app).get('/api/hello').set('authorization', `Apikey ${key}`)
		return [res.status, res.body.code ?? res.body.owner] as const
	}

	describe(`leakReportHandler (${adapter.name})`, () => {
		it('revokes a key listed in a signed report: the next request with it gets 401 revoked', async () => {
			const { app, store, notified, create } = await setup()
			const key = await create()
			expect(await hello(app, key)).toEqual([200, 'acme'])
			const url = 'https://github.com/acme/app/blob/0a1b2c/config/production.json'
			const body = report([key], url)
			const res = await post(app, body, keys.sign(body))
			expect([res.status, res.headers['cache-control']]).toEqual([200, 'no-store'])
			expect(res.body).toEqual([{ token_hash: sha256(key), token_type: TYPE, label: 'true_positive' }])
			expect(await hello(app, key)).toEqual([401, 'revoked'])
			const [entry] = await store.listAudit({ limit: 1 })
			expect(entry).toMatchObject({ action: 'key.revoked', actor: 'leak-report:github', source: url })
			expect(notified).toHaveLength(1)
			expect(notified[0]).toMatchObject({
				reporter: 'github',
				key: { owner: 'acme' },
				locations: [{ url, source: 'content', type: TYPE }],
			})
			expect(notified[0]?.key.revokedAt).toBeInstanceOf(Date)
			expect(JSON.stringify(notified)).not.toContain(key)
		})

		it('labels look-alikes, ids, unknown keys and other prefixes false positives; a revoked key changes nothing', async () => {
			const { app, keyward, store, notified, create } = await setup()
			const live = await keyward.createKey({ owner: 'acme' })
			const revoked = await create()
			const revokedAt = (await keyward.revokeKey(revoked)).revokedAt
			const audited = (await store.listAudit()).length
			const tokens = [
				revoked,
				tamper(live.key),
				live.info.id,
				live.info.id.slice(0, 6),
				generateKey('kw'),
				generateKey('other'),
				`${live.key}\n`,
			]
			const body = report(tokens)
			const res = await post(app, body, keys.sign(body))
			expect(res.status).toBe(200)
			expect(res.body).toEqual(
				tokens.map((token, i) => ({
					token_hash: sha256(token),
					token_type: TYPE,
					label: i === 0 ? 'true_positive' : 'false_positive',
				})),
			)
			expect(await hello(app, live.key)).toEqual([200, 'acme'])
			expect((await keyward.getKey(revoked)).revokedAt).toEqual(revokedAt)
			expect((await store.listAudit()).length).toBe(audited)
			expect(notified).toEqual([])
		})

		it('refuses forged, tampered and replayed-with-another-signature reports, revoking nothing', async () => {
			const { app, create, notified } = await setup()
			const key = await create()
			const body = report([key])
			const other = report([key], 'https://github.com/acme/other/blob/1/x')
			const signed = keys.sign(body)
			const cases: [string, Record<string, string>][] = [
				[body, {}],
				[body, { 'github-public-key-identifier': 'test-key-1' }],
				[body, keys.forge(body)],
				[body, keys.sign(other)],
				[other, signed],
				[` ${body}`, signed],
				[body, { ...signed, 'github-public-key-identifier': 'no-such-key' }],
				[body, { ...signed, 'github-public-key-signature': 'bm90IGEgc2lnbmF0dXJlIGF0IGFsbA==' }],
				[body, { ...signed, 'github-public-key-signature': `${signed['github-public-key-signature']}x` }],
				[body, { ...signed, 'github-public-key-identifier': 'test key 1' }],
			]
			for (const [sent, headers] of cases) {
				const res = await post(app, sent, headers)
				expect([res.status, res.body.code], JSON.stringify(headers)).toEqual([401, 'invalid_signature'])
			}
			expect(await hello(app, key)).toEqual([200, 'acme'])
			expect(notified).toEqual([])
		})

		it('calls the owner hook once per revoked key, however often and concurrently it is reported', async () => {
			const { app, create, notified } = await setup()
			const [a, b] = [await create('acme'), await create('globex')]
			const urls = ['https://github.com/x/1', 'https://github.com/x/2', 'https://github.com/x/3']
			const body = JSON.stringify([
				{ token: a, type: TYPE, url: urls[0], source: 'content' },
				{ token: b, type: TYPE, url: urls[1], source: 'commit' },
				{ token: a, type: TYPE, url: urls[2], source: 'issue_comment' },
			])
			const headers = keys.sign(body)
			// The same signed body, replayed: it cannot be told from the original, and changes nothing more.
			const answers = await Promise.all([1, 2, 3].map(() => post(app, body, headers)))
			answers.push(await post(app, body, headers))
			for (const res of answers) {
				expect(res.status).toBe(200)
				expect(res.body.map((v: { label: string }) => v.label)).toEqual(['true_positive', 'true_positive'])
			}
			expect(notified.map((leak) => leak.key.owner).sort()).toEqual(['acme', 'globex'])
			const acme = notified.find((leak) => leak.key.owner === 'acme')
			expect(acme?.locations.map((l) => [l.url, l.source])).toEqual([
				[urls[0], 'content'],
				[urls[2], 'issue_comment'],
			])
			expect(await hello(app, a)).toEqual([401, 'revoked'])
			expect(await hello(app, b)).toEqual([401, 'revoked'])
		})

		it('refuses an oversized or endless body, malformed JSON, non-reports, other media types and methods', async () => {
			const { app, create, notified } = await setup({ publicKeys: { url: keys.url }, maxBodyBytes: 1024 })
			const key = await create()
			const big = report([key], `https://github.com/${'a'.repeat(2000)}`)
			const tooLarge = await post(app, big, keys.sign(big))
			expect([tooLarge.status, tooLarge.body.code]).toEqual([413, 'payload_too_large'])
			const server = createServer(app).listen(0, '127.0.0.1')
			await new Promise((resolve) => server.once('listening', resolve))
			try {
				const { port } = server.address() as AddressInfo
				const endless = await sendEndlessBody(port, '/leaks', {
					'content-type': 'application/json',
					...keys.sign('[]'),
				})
				expect(endless.status).toBe(413)
				expect(endless.sent).toBeLessThan(8 * 1024 * 1024)
				// Refused before its body is read (no signature): the body is not drained either.
				const unsigned = await sendEndlessBody(port, '/leaks', { 'content-type': 'application/json' })
				expect(unsigned.status).toBe(401)
				expect(unsigned.sent).toBeLessThan(8 * 1024 * 1024)
			} finally {
				server.closeAllConnections()
				await new Promise((resolve) => server.close(resolve))
			}
			for (const bad of [`[{"token":"${key}"`, JSON.stringify({ token: key }), '[{"token":42}]', '"x"', '']) {
				const res = await post(app, bad, keys.sign(bad))
				expect([res.status, res.body.code], bad).toEqual([400, 'invalid_report'])
			}
			const body = report([key])
			const text = await post(app, body, { ...keys.sign(body), 'content-type': 'text/plain' })
			expect([text.status, text.body.code]).toEqual([415, 'unsupported_media_type'])
			const get = await request(app).get('/leaks').set(keys.sign(''))
			responses.push(get.text)
			expect([get.status, get.headers.allow]).toEqual([405, 'POST'])
			expect(await hello(app, key)).toEqual([200, 'acme'])
			expect(notified).toEqual([])
		})

		it('answers 503 while the signing keys cannot be fetched, then recovers', async () => {
			let now = 0
			const { app, create } = await setup({ publicKeys: { url: keys.url, now: () => now } })
			const key = await create()
			const body = report([key])
			keys.answerWith((res) => {
				res.statusCode = 502
				res.end()
			})
			try {
				const res = await post(app, body, keys.sign(body))
				expect([res.status, res.body.code, res.headers['retry-after']]).toEqual([503, 'unavailable', '60'])
			} finally {
				keys.answerWith(undefined)
			}
			expect(await hello(app, key)).toEqual([200, 'acme'])
			now += 300_000
			expect((await post(app, body, keys.sign(body))).status).toBe(200)
			expect(await hello(app, key)).toEqual([401, 'revoked'])
		})

		it('takes plain reports authenticated by a shared secret, in the keys form and GitLab form', async () => {
			const secret = 'a-shared-secret-of-at-least-32-characters'
			const { app, store, create, notified } = await setup({ secret, reporter: 'gitlab' })
			const [a, b] = [await create(), await create()]
			const plain = JSON.stringify({ keys: [a], url: 'https://tickets.example/T-1' })
			for (const authorization of [undefined, 'Bearer wrong', secret.slice(1), `Basic ${secret}`]) {
				const res = await post(app, plain, authorization === undefined ? {} : { authorization })
				expect([res.status, res.body.code]).toEqual([401, 'unauthorized'])
			}
			expect(notified).toEqual([])
			const res = await post(app, plain, { authorization: `Bearer ${secret}` })
			expect(res.body).toEqual([{ token_hash: sha256(a), token_type: '', label: 'true_positive' }])
			const location = 'https://gitlab.example/acme/app/-/blob/main/.env'
			const gitlab = JSON.stringify([{ type: TYPE, token: b, location }])
			expect((await post(app, gitlab, { authorization: secret })).body[0].label).toBe('true_positive')
			expect(await hello(app, a)).toEqual([401, 'revoked'])
			expect(await hello(app, b)).toEqual([401, 'revoked'])
			const [last, first] = await store.listAudit({ limit: 2 })
			expect([first?.actor, first?.source]).toEqual(['leak-report:gitlab', 'https://tickets.example/T-1'])
			expect([last?.actor, last?.source]).toEqual(['leak-report:gitlab', location])
			expect(notified).toHaveLength(2)
		})

		it("takes plain reports the host's authorize(request) accepts, and lets its throw through", async () => {
			const { app, create } = await setup({
				authorize: (req) => {
					if (req.get('x-host-token') === 'boom') throw new Error('authorize failed')
					return req.get('x-host-token') === 'right'
				},
			})
			const key = await create()
			const body = JSON.stringify({ keys: [key] })
			const wrong = await post(app, body, { 'x-host-token': 'wrong' })
			expect([wrong.status, wrong.body.code]).toEqual([401, 'unauthorized'])
			const thrown = await post(app, body, { 'x-host-token': 'boom' })
			expect([thrown.status, thrown.body.detail]).toEqual([500, 'host error handler'])
			expect(await hello(app, key)).toEqual([200, 'acme'])
			expect((await post(app, body, { 'x-host-token': 'right' })).body[0].label).toBe('true_positive')
			expect(await hello(app, key)).toEqual([401, 'revoked'])
		})

		it('refuses a body a host body parser already read, revoking nothing', async () => {
			const { app, create } = await setup(undefined, true)
			const key = await create()
			const body = report([key])
			const res = await post(app, body, keys.sign(body))
			expect([res.status, res.body.code]).toEqual([400, 'invalid_argument'])
			expect(await hello(app, key)).toEqual([200, 'acme'])
		})

		it('names tokens by hash unless tokenField is token_raw', async () => {
			const { app, create } = await setup({ publicKeys: { url: keys.url }, tokenField: 'token_raw' })
			const key = await create()
			const body = report([key])
			const res = await request(app).post('/leaks').set(keys.sign(body)).type('json').send(body)
			expect(res.body).toEqual([{ token_raw: key, token_type: TYPE, label: 'true_positive' }])
		})

		it('checks its options at once', () => {
			const keyward = createKeyward()
			const url = keys.url
			const cases: [LeakReportOptions<HeaderReader>, RegExp][] = [
				[{}, /exactly one of publicKeys, secret or authorize/],
				[{ publicKeys: { url }, secret: 'x'.repeat(40) }, /exactly one/],
				[{ secret: 'too short' }, /at least 32 characters/],
				[{ publicKeys: { url: 'http://keys.example/keys' } }, /https/],
				[{ publicKeys: { url: 'https://user:pw@keys.example/keys' } }, /credentials/],
				[{ publicKeys: { url: 'keys.json' } }, /absolute URL/],
				[{ publicKeys: { url, timeoutMs: 0 } }, /timeoutMs/],
				[{ publicKeys: { url, timeout: 5 } as never }, /Unknown option "timeout".*did you mean "timeoutMs"/],
				[{ publicKeys: { url }, notfy: () => {} } as never, /did you mean "notify"/],
				[{ publicKeys: { url }, reporter: 'git hub' }, /reporter/],
				[{ publicKeys: { url }, tokenField: 'token' as never }, /tokenField/],
				[{ publicKeys: { url }, maxBodyBytes: 10 }, /maxBodyBytes/],
				[{ authorize: 'yes' as never }, /authorize must be a function/],
			]
			for (const [options, message] of cases) {
				expect(() => adapter.handler(keyward, options), message.source).toThrow(message)
			}
			expect(() => adapter.handler({} as Keyward, { publicKeys: {} })).toThrow(/expects a keyward/)
		})
	})
}
