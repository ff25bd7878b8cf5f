import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createKeyward, type Keyward, REJECTIONS } from '@keyward/core'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { CHALLENGE, tamper } from './adapter-harness.js'
import { type HttpAnswer, requestBytes, sendHttp } from './hostile-http.js'

/** How an adapter takes part in {@link describeAdapterFailureLimit}. */
export interface LimitedAdapter {
	/** `'Express'`, `'Koa'` */
	readonly name: string
	/** The framework setting that trusts one proxy on loopback, as shown in the suite's title. */
	readonly proxySetting: string
	/**
	 * A request listener: `apiKeyAuth(keyward)`, then a handler answering JSON `{ id, ip }` (the
	 * key id or `null`, and the client address as the framework sees it). With `behindProxy`, the
	 * framework trusts one proxy on loopback.
	 */
	listener(keyward: Keyward, behindProxy: boolean): RequestListener
}

/**
 * Failure-limit suite shared by the adapters, over real sockets from distinct loopback
 * addresses: blocking after `max` bad credentials, other clients untouched, no keying on key
 * ids, and client addresses taken from a trusted proxy only.
 */
export function describeAdapterFailureLimit(adapter: LimitedAdapter): void {
	const MAX = 3
	const WINDOW_MS = 60_000
	const servers: Server[] = []

	afterAll(async () => {
		for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()))
	})

	/** An app whose keyward refuses a client after {@link MAX} failures per minute, on a settable clock. */
	async function limitedApp(behindProxy = false) {
		const time = { now: Date.UTC(2026, 10, 15, 12) }
		const keyward: Keyward = createKeyward({
			failureLimit: { max: MAX, windowMs: WINDOW_MS },
			now: () => time.now,
		})
		const server = createServer(adapter.listener(keyward, behindProxy))
		servers.push(server)
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
		const { port } = server.address() as AddressInfo
		/** Send a GET from `from` (a loopback address) with the given header lines. */
		const send = (lines: string[], from = '127.0.0.1', target = '/'): Promise<HttpAnswer> =>
			sendHttp(port, requestBytes(target, lines), { localAddress: from })
		return { keyward, time, send }
	}

	function expectBlocked(answer: HttpAnswer, retryAfter = '60'): void {
		expect(answer.status).toBe(429)
		expect(JSON.parse(answer.body)).toStrictEqual({
			detail: REJECTIONS.too_many_failures.detail,
			code: 'too_many_failures',
		})
		expect(answer.headers['retry-after']).toBe(retryAfter)
		expect(answer.headers['www-authenticate']).toBeUndefined()
	}

	function expectCode(answer: HttpAnswer, code: string): void {
		expect(answer.status).toBe(401)
		expect(answer.headers['www-authenticate']).toBe(CHALLENGE)
		expect((JSON.parse(answer.body) as { code: string }).code).toBe(code)
	}

	describe(`failure limit through the ${adapter.name} adapter`, () => {
		let target: Awaited<ReturnType<typeof limitedApp>>
		let key: string
		let bad: string

		beforeEach(async () => {
			target = await limitedApp()
			key = (await target.keyward.createKey({ owner: 'acme' })).key
			bad = tamper(key)
		})

		it('refuses a client after max bad keys, even with a valid key, until the window ends', async () => {
			for (let i = 0; i < MAX; i++) expectCode(await target.send([`X-Api-Key: ${bad}`]), 'malformed')
			expectBlocked(await target.send([`X-Api-Key: ${key}`]))
			expectBlocked(await target.send([`Authorization: Apikey ${key}`]))
			expectBlocked(await target.send([], '127.0.0.1', `/?api_key=${key}`))
			target.time.now += WINDOW_MS - 1000
			expectBlocked(await target.send([`X-Api-Key: ${key}`]), '1')
			target.time.now += 1000
			expect((await target.send([`X-Api-Key: ${key}`])).status).toBe(200)
		})

		it('leaves other clients alone', async () => {
			for (let i = 0; i < MAX; i++) await target.send([`X-Api-Key: ${bad}`], '127.0.0.2')
			expectBlocked(await target.send([`X-Api-Key: ${key}`], '127.0.0.2'))
			const other = await target.send([`X-Api-Key: ${key}`], '127.0.0.3')
			expect(other.status).toBe(200)
			expect(JSON.parse(other.body)).toMatchObject({ ip: '127.0.0.3' })
		})

		it('counts every kind of bad credential, but not requests without one', async () => {
			const revoked = await target.keyward.createKey({ owner: 'acme' })
			await target.keyward.revokeKey(revoked.info.id)
			const unknown = (await createKeyward().createKey({ owner: 'x' })).key
			for (let i = 0; i < 10; i++) expectCode(await target.send([]), 'missing')
			expectCode(await target.send([`X-Api-Key: ${unknown}`]), 'invalid')
			expectCode(await target.send([`Authorization: Apikey ${revoked.key}`]), 'revoked')
			expectCode(await target.send([`X-Api-Key: ${key}`], '127.0.0.1', `/?api_key=${unknown}`), 'ambiguous')
			expectBlocked(await target.send([`X-Api-Key: ${key}`]))
		})

		it('ignores X-Forwarded-For without trust proxy: rotating it does not dodge the limit', async () => {
			for (let i = 0; i < MAX; i++) {
				await target.send([`X-Api-Key: ${bad}`, `X-Forwarded-For: 198.51.100.${i}`])
			}
			expectBlocked(await target.send([`X-Api-Key: ${key}`, 'X-Forwarded-For: 198.51.100.200']))
			expectBlocked(await target.send([`X-Api-Key: ${key}`]))
		})

		it('never keys on the key: presenting a victim’s key id or revoked key does not lock the victim out', async () => {
			const victim = await target.keyward.createKey({ owner: 'victim' })
			const old = await target.keyward.createKey({ owner: 'victim' })
			await target.keyward.revokeKey(old.info.id)
			const attacker = '127.0.0.9'
			expectCode(await target.send([`X-Api-Key: ${victim.info.id}`], attacker), 'malformed')
			expectCode(await target.send([`Authorization: Apikey ${old.key}`], attacker), 'revoked')
			expectCode(await target.send([], attacker, `/?api_key=${victim.info.id}`), 'malformed')
			for (let i = 0; i < 20; i++)
				expectBlocked(await target.send([`X-Api-Key: ${victim.info.id}`], attacker))
			// Even the victim's valid key is refused from the attacker's address: the client is blocked, not the key.
			expectBlocked(await target.send([`X-Api-Key: ${victim.key}`], attacker))
			const fromVictim = await target.send([`X-Api-Key: ${victim.key}`], '127.0.0.1')
			expect(fromVictim.status).toBe(200)
			expect(JSON.parse(fromVictim.body)).toMatchObject({ id: victim.info.id })
		})
	})

	describe(`failure limit behind one proxy (${adapter.proxySetting})`, () => {
		let target: Awaited<ReturnType<typeof limitedApp>>
		let key: string

		beforeEach(async () => {
			target = await limitedApp(true)
			key = (await target.keyward.createKey({ owner: 'acme' })).key
		})

		it('tells clients apart by X-Forwarded-For', async () => {
			const from = (ip: string) => `X-Forwarded-For: ${ip}`
			for (let i = 0; i < MAX; i++) await target.send([`X-Api-Key: ${tamper(key)}`, from('203.0.113.5')])
			expectBlocked(await target.send([`X-Api-Key: ${key}`, from('203.0.113.5')]))
			const neighbour = await target.send([`X-Api-Key: ${key}`, from('203.0.113.6')])
			expect(neighbour.status).toBe(200)
			expect(JSON.parse(neighbour.body)).toMatchObject({ ip: '203.0.113.6' })
			// The proxy itself (no X-Forwarded-For) is yet another client.
			expect((await target.send([`X-Api-Key: ${key}`])).status).toBe(200)
		})

		it('uses the address the proxy appended, so a forged X-Forwarded-For neither dodges nor frames', async () => {
			const victim = '203.0.113.7'
			const attacker = '198.51.100.66'
			// The attacker claims to be the victim; the trusted proxy appends the real address.
			for (let i = 0; i < MAX; i++) {
				await target.send([`X-Api-Key: ${tamper(key)}`, `X-Forwarded-For: ${victim}, ${attacker}`])
			}
			// The adapter reads only the last entry, the one the trusted proxy wrote.
			expectBlocked(await target.send([`X-Api-Key: ${key}`, `X-Forwarded-For: 192.0.2.1, ${attacker}`]))
			const fromVictim = await target.send([`X-Api-Key: ${key}`, `X-Forwarded-For: ${victim}`])
			expect(fromVictim.status).toBe(200)
		})
	})
}
