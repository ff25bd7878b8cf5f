import { generateKeyPairSync, sign } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKeyward, MemoryStore } from '../src/index.js'
import { reportSignature } from '../src/leak-report-format.js'
import { createReportKeySet } from '../src/leak-report-keys.js'
import {
	createLeakReportReceiver,
	type LeakedKey,
	type LeakReportOptions,
	parseLeakReport,
} from '../src/management.js'

const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const pem = (key: typeof pair.publicKey) => key.export({ type: 'spki', format: 'pem' }).toString()
/** What the key server answers; tests swap it. */
let serve: (res: ServerResponse) => void
let hits = 0
const document = (keys: Record<string, string>) =>
	JSON.stringify({
		public_keys: Object.entries(keys).map(([key_identifier, key]) => ({ key_identifier, key })),
	})
const published = (res: ServerResponse) => res.end(document({ k1: pem(pair.publicKey) }))
const server = createServer((_req, res) => {
	hits++
	serve(res)
})
let url = ''

beforeAll(async () => {
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/keys`
})
afterAll(async () => {
	server.closeAllConnections()
	await new Promise((resolve) => server.close(resolve))
})

/** A POST as the receiver reads it: headers, method, and a body stream. */
function message(body: Uint8Array, headers: Record<string, string>): IncomingMessage {
	const stream = Readable.from(body.length === 0 ? [] : [Buffer.from(body)])
	return Object.assign(stream, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...headers },
	}) as unknown as IncomingMessage
}

const signature = (body: Uint8Array) => sign('sha256', body, { key: pair.privateKey, dsaEncoding: 'der' })

/** A keyward with one key of `acme`, and a receiver for it. */
async function receiverWith(options: LeakReportOptions<null>) {
	const store = new MemoryStore()
	const keyward = createKeyward({ store })
	const { key } = await keyward.createKey({ owner: 'acme' })
	const receiver = createLeakReportReceiver(keyward, options, { name: 'test', request: 'req' })
	return { store, keyward, key, receiver }
}

describe('parseLeakReport', () => {
	it("reads GitHub's array, GitLab's location and the plain keys form", () => {
		expect(
			parseLeakReport('[{"token":"t","type":"x","url":"https://u","source":"content","extra":1}]'),
		).toEqual([{ token: 't', type: 'x', url: 'https://u', source: 'content' }])
		expect(parseLeakReport('[{"token":"t","location":"https://l","url":null}]')).toEqual([
			{ token: 't', type: '', url: 'https://l', source: '' },
		])
		expect(parseLeakReport('{"keys":["a","b"],"url":"https://t"}')).toEqual([
			{ token: 'a', type: '', url: 'https://t', source: '' },
			{ token: 'b', type: '', url: 'https://t', source: '' },
		])
		expect(parseLeakReport('[]')).toEqual([])
		for (const bad of [
			'',
			'null',
			'{}',
			'[1]',
			'[{"token":""}]',
			'[{"token":"t","url":5}]',
			'{"keys":[1]}',
			'[{}]',
		])
			expect(parseLeakReport(bad), bad).toBeNull()
		expect(parseLeakReport(JSON.stringify({ keys: Array(10_001).fill('k') }))).toBeNull()
	})

	it('never throws, and returns only entries of strings, for any text or JSON value', () => {
		const valid = (entries: unknown) =>
			entries === null ||
			(Array.isArray(entries) &&
				entries.every((e) => ['token', 'type', 'url', 'source'].every((f) => typeof e[f] === 'string')))
		fc.assert(fc.property(fc.string(), (text) => valid(parseLeakReport(text))))
		fc.assert(
			fc.property(fc.jsonValue(), (value) => valid(parseLeakReport(JSON.stringify(value) ?? ''))),
			{ numRuns: 500 },
		)
	})
})

describe('createLeakReportReceiver', () => {
	it('never revokes, and never throws, without a valid signature, whatever the bytes and headers', async () => {
		serve = published
		const { store, keyward, key, receiver } = await receiverWith({ publicKeys: { url } })
		const genuine = Buffer.from(
			JSON.stringify([{ token: key, type: 't', url: 'https://u', source: 'content' }]),
		)
		const header = fc.option(fc.oneof(fc.string(), fc.base64String(), fc.constant('k1')), { nil: undefined })
		await fc.assert(
			fc.asyncProperty(
				fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.constant(genuine)),
				header,
				header,
				async (body, keyId, sig) => {
					const headers: Record<string, string> = {}
					if (keyId !== undefined) headers['github-public-key-identifier'] = keyId
					if (sig !== undefined) headers['github-public-key-signature'] = sig
					const answer = await receiver.handle({ request: null, message: message(body, headers) })
					expect([400, 401]).toContain(answer.status)
				},
			),
			{ numRuns: 300 },
		)
		// A signature of another body, or a tampered body, is refused too; only the genuine pair counts.
		const other = Buffer.from(`${genuine.toString()} `)
		for (const [body, signed] of [
			[other, genuine],
			[genuine, other],
		] as const) {
			const headers = {
				'github-public-key-identifier': 'k1',
				'github-public-key-signature': signature(signed).toString('base64'),
			}
			expect((await receiver.handle({ request: null, message: message(body, headers) })).status).toBe(401)
		}
		expect((await keyward.getKey(key)).revokedAt).toBeNull()
		expect(await store.listAudit()).toHaveLength(1)
		const headers = {
			'github-public-key-identifier': 'k1',
			'github-public-key-signature': signature(genuine).toString('base64'),
		}
		const answer = await receiver.handle({ request: null, message: message(genuine, headers) })
		expect([answer.status, (answer.body as { label: string }[])[0]?.label]).toEqual([200, 'true_positive'])
		expect((await keyward.getKey(key)).revokedAt).toBeInstanceOf(Date)
	})

	it('answers 503 and revokes nothing while the store is down, so the code host sends it again', async () => {
		const { store, key, receiver } = await receiverWith({ secret: 's'.repeat(32) })
		store.findByHash = async () => {
			throw new Error('connection refused')
		}
		const body = Buffer.from(JSON.stringify({ keys: [key] }))
		const answer = await receiver.handle({
			request: null,
			message: message(body, { authorization: `Bearer ${'s'.repeat(32)}` }),
		})
		expect([answer.status, answer.body]).toEqual([
			503,
			{ detail: 'Reports cannot be handled now; send it again later', code: 'unavailable' },
		])
	})
})

describe('revoking reported keys', () => {
	it('revokes an expired key too, notifies once, and keeps key text in a reported URL out of audit and notify', async () => {
		let now = Date.UTC(2026, 10, 30)
		const store = new MemoryStore()
		const keyward = createKeyward({ store, now: () => now })
		const { key } = await keyward.createKey({ owner: 'acme', expiresIn: 1000 })
		now += 5000
		const notified: LeakedKey[] = []
		const secret = 's'.repeat(32)
		const receiver = createLeakReportReceiver(
			keyward,
			{ secret, notify: (leak) => void notified.push(leak), onError: () => {} },
			{ name: 'test', request: 'req' },
		)
		// A reported place may hold the key itself: it reaches neither the audit trail nor notify.
		const url = `https://logs.example/run?api_key=${key}`
		const body = Buffer.from(JSON.stringify({ keys: [key, key], url }))
		const answer = await receiver.handle({ request: null, message: message(body, { authorization: secret }) })
		expect(answer.body).toEqual([expect.objectContaining({ label: 'true_positive' })])
		expect((await keyward.getKey(key)).revokedAt?.getTime()).toBe(now)
		expect(notified.map((leak) => leak.locations.map((l) => l.url))).toEqual([
			['https://logs.example/run?api_key=[REDACTED]', 'https://logs.example/run?api_key=[REDACTED]'],
		])
		const [revoked] = await store.listAudit({ limit: 1 })
		expect([revoked?.action, revoked?.source]).toEqual([
			'key.revoked',
			'https://logs.example/run?api_key=[REDACTED]',
		])
	})

	it('keeps a revocation when notify fails, and hands the failure to onError', async () => {
		const keyward = createKeyward()
		const { key } = await keyward.createKey({ owner: 'acme' })
		const failures: unknown[] = []
		const secret = 's'.repeat(32)
		const receiver = createLeakReportReceiver(
			keyward,
			{
				secret,
				notify: () => Promise.reject(new Error('mail down')),
				onError: (error) => failures.push(error),
			},
			{ name: 'test', request: 'req' },
		)
		const body = Buffer.from(JSON.stringify({ keys: [key] }))
		const answer = await receiver.handle({ request: null, message: message(body, { authorization: secret }) })
		expect(answer.status).toBe(200)
		expect((await keyward.getKey(key)).revokedAt).toBeInstanceOf(Date)
		expect(failures.map((e) => (e as Error).message)).toEqual(['mail down'])
	})
})

describe('createReportKeySet', () => {
	it('fetches once, again for an unknown key id at most once per interval, and when the copy ages', async () => {
		serve = published
		let now = 0
		const keys = createReportKeySet({ url, now: () => now, minFetchIntervalMs: 1000, ttlMs: 10_000 })
		const before = hits
		const found = await Promise.all([keys.find('k1'), keys.find('k1'), keys.find('k1')])
		expect(found.map((f) => f.ok)).toEqual([true, true, true])
		expect(hits - before).toBe(1)
		expect(await keys.find('forged')).toEqual({ ok: false, reason: 'unknown' })
		expect(hits - before).toBe(1)
		now = 1000
		for (let i = 0; i < 5; i++) expect((await keys.find(`forged-${i}`)).ok).toBe(false)
		expect(hits - before).toBe(2)
		// A key the server starts to publish is found on the next allowed fetch.
		const next = generateKeyPairSync('ec', { namedCurve: 'P-256' })
		serve = (res) => res.end(document({ k1: pem(pair.publicKey), k2: pem(next.publicKey) }))
		now = 2000
		expect((await keys.find('k2')).ok).toBe(true)
		now = 12_000
		expect((await keys.find('k1')).ok).toBe(true)
		expect(hits - before).toBe(4)
	})

	it('fails closed: non-200, oversized, slow, redirected or malformed documents are unavailable', async () => {
		const answers: ((res: ServerResponse) => void)[] = [
			(res) => {
				res.statusCode = 500
				res.end()
			},
			(res) => res.end(document({ k1: pem(pair.publicKey) }).padEnd(70_000, ' ')),
			(res) => {
				res.writeHead(200, { 'content-length': '1000000' })
				res.write('{"public_keys":[')
			},
			() => {},
			(res) => {
				res.writeHead(302, { location: url })
				res.end()
			},
			(res) => res.end('not json'),
			(res) => res.end('{"keys":[]}'),
		]
		for (const answer of answers) {
			serve = answer
			const keys = createReportKeySet({ url, timeoutMs: 300 })
			expect(await keys.find('k1')).toEqual({ ok: false, reason: 'unavailable' })
		}
	})

	it('uses only P-256 keys', async () => {
		const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
		const ed = generateKeyPairSync('ed25519')
		serve = (res) =>
			res.end(
				document({ p384: pem(p384.publicKey), ed: pem(ed.publicKey), junk: 'x', k1: pem(pair.publicKey) }),
			)
		const keys = createReportKeySet({ url })
		expect((await keys.find('k1')).ok).toBe(true)
		for (const id of ['p384', 'ed', 'junk'])
			expect(await keys.find(id)).toEqual({ ok: false, reason: 'unknown' })
	})
})

describe('reportSignature', () => {
	const der = sign('sha256', Buffer.from('[]'), { key: pair.privateKey, dsaEncoding: 'der' })
	const canonical = der.toString('base64')
	const headers = (signature: string) => ({
		'github-public-key-identifier': 'k1',
		'github-public-key-signature': signature,
	})

	it('reads a canonical base64 signature as its bytes', () => {
		expect(reportSignature(headers(canonical))).toEqual({ keyId: 'k1', signature: der })
	})

	it('refuses every other spelling of the same bytes, which a lenient decoder would accept', () => {
		const spellings = [
			...'ABCxyz019+/'.split('').map((c) => `${canonical}${c}`),
			`${canonical}=`,
			`${canonical.replace(/=+$/, '')}`,
		].filter((text) => text !== canonical && Buffer.from(text, 'base64').equals(der))
		expect(spellings.length).toBeGreaterThan(0)
		for (const text of spellings) expect(reportSignature(headers(text)), text).toBeNull()
	})

	it('never throws, and returns only signatures whose base64 is the header', () => {
		fc.assert(
			fc.property(fc.string({ maxLength: 120 }), fc.string({ maxLength: 300 }), (keyId, signature) => {
				const read = reportSignature({
					'github-public-key-identifier': keyId,
					'github-public-key-signature': signature,
				})
				if (read !== null) expect(read.signature.toString('base64')).toBe(signature)
			}),
		)
	})
})
