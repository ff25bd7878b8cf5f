import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createKeyward, KeywardError, MemoryStore } from '../src/index.js'
import {
	createKeyManager,
	KEY_MANAGEMENT_ROUTES,
	type KeyManagementCall,
	KeyManagementRefusal,
} from '../src/management.js'
import { forwardingStore } from '../src/testing/stores.js'

type Req = { user?: string | undefined }
const host = { name: 'testManager', request: 'req' }
/** A same-origin JSON request, as the router's own page sends it. */
const sameOrigin = { headers: { 'content-type': 'application/json' }, origin: 'http://127.0.0.1' }

function setup(policy: Partial<Parameters<typeof createKeyManager<Req>>[1]> = {}) {
	const keyward = createKeyward()
	const manager = createKeyManager<Req>(keyward, { owner: (req) => req.user, ...policy }, host)
	const call = (
		user: string | undefined,
		operation: KeyManagementCall<Req>['operation'],
		id = '',
		body: Record<string, unknown> = {},
	) =>
		manager.handle({ request: { user }, operation, ...sameOrigin, id, source: '127.0.0.1', body: () => body })
	return { keyward, call }
}

describe('createKeyManager', () => {
	it('lists every operation once, with the routes the adapters serve', () => {
		const operations = KEY_MANAGEMENT_ROUTES.map((r) => r.operation)
		expect(new Set(operations).size).toBe(9)
		expect(KEY_MANAGEMENT_ROUTES.map((r) => `${r.method} ${r.path}`)).toEqual(
			expect.arrayContaining(['POST /keys/:id/rotate', 'GET /keys/:id/history', 'GET /history']),
		)
	})

	it("serves the usage history of the caller's own keys only, by day", async () => {
		const { keyward, call } = setup({ allowedScopes: ['read:*'] })
		const reader = (of: typeof keyward) => createKeyManager<Req>(of, { owner: (req) => req.user }, host)
		const manager = reader(keyward)
		const history = (user: string, operation: 'history' | 'accountHistory', id = '', url?: string) =>
			manager.handle({
				request: { user },
				operation,
				...sameOrigin,
				id,
				source: '127.0.0.1',
				body: () => ({}),
				url,
			})
		const [, created] = await call('ada', 'create', '', { scopes: ['read:users'] })
		const { key, info } = created as { key: string; info: { id: string } }
		await keyward.verifyKey(key)
		await keyward.verifyKey(key, { scopes: ['write:users'] })
		const [status, body] = await history('ada', 'history', info.id, `/keys/${info.id}/history?days=7`)
		expect(status).toBe(200)
		const answer = (body as { history: { key: string; buckets: unknown[]; total: object } }).history
		expect(answer.key).toBe(info.id)
		expect(answer.buckets).toHaveLength(7)
		expect(answer.total).toEqual({
			requests: 2,
			ok: 1,
			refused: 1,
			outcomes: { ok: 1, insufficient_scope: 1 },
		})
		const [, account] = await history('ada', 'accountHistory', '', '/history')
		expect((account as { history: { owner: string; buckets: unknown[] } }).history).toMatchObject({
			owner: 'ada',
		})
		expect((account as { history: { buckets: unknown[] } }).history.buckets).toHaveLength(30)
		// Another owner's key is as unknown as a key that does not exist.
		expect(await history('grace', 'history', info.id)).toEqual([
			404,
			{ detail: 'No such key', code: 'key_not_found' },
		])
		const [, theirs] = await history('grace', 'accountHistory')
		expect((theirs as { history: { total: { requests: number } } }).history.total.requests).toBe(0)
		for (const url of ['/history?days=0', '/history?days=91', '/history?days=x', '/history?days=1&days=2']) {
			expect(await history('ada', 'accountHistory', '', url)).toEqual([
				400,
				{ detail: 'days must be a whole number from 1 to 90', code: 'invalid_argument' },
			])
		}
		// A store that keeps no history: the route says so.
		const { recordUsage, readUsage, pruneUsage, ...bare } = forwardingStore(
			new MemoryStore(),
		) as unknown as Record<string, unknown>
		expect([recordUsage, readUsage, pruneUsage].every((m) => typeof m === 'function')).toBe(true)
		const plain = reader(createKeyward({ store: bare as never }))
		const call501 = { request: { user: 'ada' }, ...sameOrigin, id: '', source: '127.0.0.1', body: () => ({}) }
		expect(await plain.handle({ ...call501, operation: 'accountHistory' })).toEqual([
			501,
			{ detail: expect.stringMatching(/keeps no usage history/), code: 'not_supported' },
		])
	})

	it('answers 401 without an owner and keeps owners apart', async () => {
		const { call } = setup({ allowedScopes: ['read:*'] })
		expect(await call(undefined, 'list')).toEqual([401, { detail: 'Not authenticated', code: 'missing' }])
		expect(await call('', 'list')).toEqual([401, { detail: 'Not authenticated', code: 'missing' }])
		const [status, created] = await call('ada', 'create', '', { name: 'ci', scopes: ['read:users'] })
		expect(status).toBe(201)
		const id = (created as { info: { id: string } }).info.id
		expect((await call('grace', 'get', id))[0]).toBe(404)
		expect((await call('grace', 'revoke', id))[0]).toBe(404)
		expect((await call('ada', 'get', id))[0]).toBe(200)
	})

	it('refuses what the policy does not allow, in words', async () => {
		const { call } = setup({ allowedScopes: ['read:*'], maxLifetimeMs: 1000, maxQuota: 10, maxKeys: 1 })
		expect(await call('ada', 'create', '', { scopes: ['write:users'] })).toMatchObject([
			403,
			{ code: 'scope_not_allowed' },
		])
		expect(await call('ada', 'create', '', { expiresIn: null })).toMatchObject([
			403,
			{ code: 'lifetime_not_allowed' },
		])
		expect(await call('ada', 'create', '', { monthlyQuota: 11 })).toMatchObject([
			403,
			{ code: 'quota_not_allowed' },
		])
		expect(await call('ada', 'create', '', { colour: 'red' })).toMatchObject([
			400,
			{ code: 'invalid_argument' },
		])
		expect((await call('ada', 'create'))[0]).toBe(201)
		expect(await call('ada', 'create')).toMatchObject([403, { code: 'too_many_keys' }])
	})

	it('answers refusals thrown while reading the body, and throws what a caller did not cause', async () => {
		const keyward = createKeyward()
		const manager = createKeyManager<Req>(keyward, { owner: (req) => req.user }, host)
		const request = { user: 'ada' }
		const refused = await manager.handle({
			request,
			...sameOrigin,
			operation: 'create',
			id: '',
			source: undefined,
			body: () => {
				throw new KeyManagementRefusal(413, 'payload_too_large', 'Request body too large')
			},
		})
		expect(refused).toEqual([413, { detail: 'Request body too large', code: 'payload_too_large' }])
		const broken = createKeyManager<Req>(
			keyward,
			{
				owner: () => {
					throw new Error('session store down')
				},
			},
			host,
		)
		await expect(
			broken.handle({
				request,
				...sameOrigin,
				operation: 'list',
				id: '',
				source: undefined,
				body: () => ({}),
			}),
		).rejects.toThrow('session store down')
	})

	it('property: any id text answers 404 for a key the caller does not own, never throws', async () => {
		const { call } = setup()
		await fc.assert(
			fc.asyncProperty(
				fc.string({ maxLength: 80 }),
				fc.constantFrom('get', 'revoke', 'delete', 'rotate'),
				async (id, operation) => {
					const [status] = await call('ada', operation as 'get', id)
					expect(status).toBe(404)
				},
			),
			{ numRuns: 300 },
		)
	})

	it('refuses changes from pages of other origins and bodies that are not JSON, before asking who calls', async () => {
		let asked = 0
		const keyward = createKeyward()
		const manager = createKeyManager<Req>(
			keyward,
			{
				owner: () => {
					asked++
					return 'ada'
				},
				trustedOrigins: ['https://ok.example'],
			},
			host,
		)
		await keyward.createKey({ owner: 'ada' })
		const attempt = (
			headers: Record<string, string>,
			operation: KeyManagementCall<Req>['operation'] = 'revokeAll',
		) =>
			manager.handle({
				request: {},
				operation,
				headers,
				origin: 'https://app.example',
				id: '',
				source: undefined,
				body: () => ({}),
			})
		const crossOrigin = [403, { detail: 'Cross-origin request refused', code: 'cross_origin' }]
		const notJson = [415, { detail: 'Send the request as application/json', code: 'unsupported_media_type' }]
		const json = { 'content-type': 'application/json' }
		expect(await attempt({ ...json, origin: 'https://evil.example' })).toEqual(crossOrigin)
		expect(await attempt({ ...json, origin: 'null' })).toEqual(crossOrigin)
		expect(await attempt({ ...json, 'sec-fetch-site': 'same-site' })).toEqual(crossOrigin)
		expect(
			await attempt({ ...json, 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }),
		).toEqual(crossOrigin)
		expect(await attempt({ origin: 'https://evil.example' }, 'delete')).toEqual(crossOrigin)
		expect(await attempt({ 'content-type': 'text/plain' })).toEqual(notJson)
		expect(
			await attempt({ 'content-type': 'application/x-www-form-urlencoded', origin: 'https://app.example' }),
		).toEqual(notJson)
		expect(await attempt({})).toEqual(notJson)
		expect(asked).toBe(0)
		// Reading needs neither; this site's page, a trusted one, or a client that is no browser may change keys.
		expect((await attempt({ origin: 'https://evil.example' }, 'list'))[0]).toBe(200)
		expect(
			(await attempt({ ...json, origin: 'HTTPS://APP.EXAMPLE', 'sec-fetch-site': 'same-origin' }))[0],
		).toBe(200)
		expect(
			(await attempt({ ...json, origin: 'https://ok.example', 'sec-fetch-site': 'cross-site' }))[0],
		).toBe(200)
		expect((await attempt({ 'content-type': 'application/merge-patch+json' }))[0]).toBe(200)
	})

	it('validates its policy at once', () => {
		const keyward = createKeyward()
		const owner = () => 'x'
		expect(() => createKeyManager(keyward, { owner, maxKeys: 0 }, host)).toThrow(KeywardError)
		expect(() => createKeyManager(keyward, { owner, colour: 1 } as never, host)).toThrow(
			/testManager options/,
		)
		expect(() => createKeyManager(keyward, {} as never, host)).toThrow(
			'testManager needs an owner(req) function',
		)
		expect(() => createKeyManager({} as never, { owner }, host)).toThrow(/keyward/)
	})
})
