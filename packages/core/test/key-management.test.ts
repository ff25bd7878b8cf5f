import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createKeyward, KeywardError } from '../src/index.js'
import {
	createKeyManager,
	KEY_MANAGEMENT_ROUTES,
	type KeyManagementCall,
	KeyManagementRefusal,
} from '../src/management.js'

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
		expect(new Set(operations).size).toBe(7)
		expect(KEY_MANAGEMENT_ROUTES.map((r) => `${r.method} ${r.path}`)).toContain('POST /keys/:id/rotate')
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
