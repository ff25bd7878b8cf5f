import type { RequestListener } from 'node:http'
import { createKeyward, type KeyInfo, type Keyward, keyPattern } from '@keyward/core'
import { scopeGrants } from '@keyward/core/adapter'
import { type AuditEntry, attachAuditSink, type KeyManagementPolicy } from '@keyward/core/management'
import { failingStore } from '@keyward/core/testing'
import fc from 'fast-check'
import request from 'supertest'
import { afterAll, describe, expect, it } from 'vitest'

/** What the shared key-management tests read off a request: Express's `req.get` and Koa's `ctx.get` both fit. */
export interface HeaderReader {
	get(name: string): string | undefined
}

/**
 * The suites' policy, whose functions read the caller's headers with `get`, for a framework whose
 * request (`R`: Fastify's request, Hono's context) has no `get`: `reader` makes one of it. Anything
 * but a function is passed on as it is, for the option checks to see.
 */
export function policyFor<R>(
	policy: KeyManagementPolicy<HeaderReader>,
	reader: (request: R) => HeaderReader,
): KeyManagementPolicy<R> {
	const { owner, allowedScopes, actor } = policy
	const wrapped: Record<string, unknown> = { ...policy }
	if (typeof owner === 'function') wrapped.owner = (request: R) => owner(reader(request))
	if (typeof allowedScopes === 'function')
		wrapped.allowedScopes = (request: R, who: string) => allowedScopes(reader(request), who)
	if (typeof actor === 'function') wrapped.actor = (request: R, who: string) => actor(reader(request), who)
	return wrapped as unknown as KeyManagementPolicy<R>
}

/** HTTP methods the key-management routes use. */
export type KeyRouteMethod = 'get' | 'post' | 'delete'

/** Helpers {@link describeKeyManagementRouter} hands to an adapter's own extra tests. */
export interface KeyRouterHelpers {
	setup(options?: Partial<KeyManagementPolicy<HeaderReader>>): Promise<{
		keyward: Keyward
		app: RequestListener
		created(user: string, body?: object): Promise<{ key: string; info: KeyInfo }>
	}>
	call(
		app: RequestListener,
		method: KeyRouteMethod,
		path: string,
		user?: string,
		body?: unknown,
	): Promise<request.Response>
	/** Record a response for the end-of-file check that key text appears only where it should. */
	record(route: string, text: string): void
}

/** How an adapter takes part in {@link describeKeyManagementRouter}. */
export interface KeyRouterAdapter {
	/** `'Express'`, `'Koa'` */
	readonly name: string
	/**
	 * An app serving `keyManagementRouter(keyward, policy)` under `/account`, with a host error
	 * handler answering 500 `{ detail: 'host error handler', message }`; with `hostJson`, a JSON
	 * body parser of the host runs first.
	 */
	appFor(keyward: Keyward, policy: KeyManagementPolicy<HeaderReader>, hostJson: boolean): RequestListener
	/** The adapter's `keyManagementRouter`, for the option checks. */
	router(keyward: Keyward, options: KeyManagementPolicy<HeaderReader>): unknown
}

/**
 * Key-management router suite shared by the adapters: 401 without a caller, owner isolation,
 * scope, lifetime, quota and key-count policies, body errors, audit entries, host and store
 * failures, property tests over ids and bodies, and key text only in the responses that create
 * a key. `extra` registers an adapter's own tests inside the same `describe`, with its helpers.
 */
export function describeKeyManagementRouter(
	adapter: KeyRouterAdapter,
	extra?: (helpers: KeyRouterHelpers) => void,
): void {
	/** Every response of the file, to check afterwards that key text appears only where it should. */
	const responses: { route: string; text: string }[] = []
	const anyKey = keyPattern('kw', 'g')
	/** Every key a response handed out. */
	const issued: string[] = []

	const SCOPES: Record<string, string[]> = { alice: ['read:*', 'write:reports'], bob: ['read:reports'] }

	/** The adapter's app for `options`, answering as the caller in `x-user` with {@link SCOPES}. */
	function appFor(
		keyward: Keyward,
		options: Partial<KeyManagementPolicy<HeaderReader>> = {},
		hostJson = false,
	) {
		return adapter.appFor(
			keyward,
			{
				owner: (request) => request.get('x-user') || undefined,
				allowedScopes: (_request, owner) => SCOPES[owner] ?? [],
				...options,
			},
			hostJson,
		)
	}

	type Method = KeyRouteMethod

	/** A call as the browser page of the router's own site makes it: JSON, and same-origin when it changes keys. */
	async function call(app: RequestListener, method: Method, path: string, user?: string, body?: unknown) {
		let req = request(app)[method](`/account${path}`)
		if (user !== undefined) req = req.set('x-user', user)
		if (method === 'post') req = req.set('content-type', 'application/json')
		const res = await (body === undefined ? req : req.send(body as object))
		if (typeof res.body?.key === 'string') issued.push(res.body.key)
		responses.push({
			route: `${method.toUpperCase()} ${path.replace(/\/[0-9A-Za-z]{12}(?=\/|$)/, '/:id')}`,
			text: res.text,
		})
		return res
	}

	async function setup(options: Partial<KeyManagementPolicy<HeaderReader>> = {}) {
		const keyward = createKeyward()
		const app = appFor(keyward, options)
		const created = async (user: string, body: object = {}) => {
			const res = await call(app, 'post', '/keys', user, body)
			expect(res.status).toBe(201)
			return res.body as { key: string; info: KeyInfo & { id: string } }
		}
		return { keyward, app, created }
	}

	afterAll(() => {
		// The key text is in the creating (and rotating) responses and nowhere else.
		for (const { route, text } of responses) {
			const keys = text.match(anyKey) ?? []
			if (route === 'POST /keys' || route === 'POST /keys/:id/rotate')
				expect(keys.length).toBeLessThanOrEqual(1)
			else expect(keys).toEqual([])
		}
		expect(issued.length).toBeGreaterThan(10)
		for (const key of issued) expect(responses.filter(({ text }) => text.includes(key))).toHaveLength(1)
	})

	describe(`keyManagementRouter (${adapter.name})`, () => {
		it('answers 401 on every route without a caller, and creates nothing', async () => {
			const { app, keyward } = await setup()
			const routes: [Method, string][] = [
				['post', '/keys'],
				['get', '/keys'],
				['get', '/keys/abcdabcdabcd'],
				['post', '/keys/abcdabcdabcd/revoke'],
				['post', '/keys/abcdabcdabcd/rotate'],
				['delete', '/keys/abcdabcdabcd'],
				['post', '/keys/revoke-all'],
				['get', '/keys/abcdabcdabcd/history'],
				['get', '/history'],
			]
			for (const [method, path] of routes) {
				for (const user of [undefined, '']) {
					const res = await call(app, method, path, user, method === 'post' ? { name: 'x' } : undefined)
					expect(res.status).toBe(401)
					expect(res.body).toEqual({ detail: 'Not authenticated', code: 'missing' })
				}
			}
			expect(await keyward.listKeys()).toEqual([])
		})

		it('returns the key once, at creation; listings and lookups never carry it', async () => {
			const { app, keyward, created } = await setup()
			const { key, info } = await created('alice', { name: 'CI', scopes: ['read:users'], expiresIn: '30d' })
			expect(info).toMatchObject({ owner: 'alice', name: 'CI', scopes: ['read:users'] })
			expect(Object.keys(info)).not.toContain('hash')
			expect((await keyward.verifyKey(key, { scopes: ['read:users'] })).ok).toBe(true)
			const list = await call(app, 'get', '/keys', 'alice')
			expect(list.status).toBe(200)
			expect(list.headers['cache-control']).toBe('no-store')
			expect(list.body.keys.map((k: KeyInfo) => k.id)).toEqual([info.id])
			const one = await call(app, 'get', `/keys/${info.id}`, 'alice')
			expect(one.body.info.id).toBe(info.id)
			for (const res of [list, one]) expect(res.text).not.toContain(key)
		})

		it("never lets owner A list, see, revoke, rotate or delete owner B's keys", async () => {
			const { app, keyward, created } = await setup()
			const bobs = await created('bob', { name: 'bob key' })
			await created('alice')
			const notFound = { detail: 'No such key', code: 'key_not_found' }
			expect((await call(app, 'get', '/keys', 'alice')).body.keys.map((k: KeyInfo) => k.owner)).toEqual([
				'alice',
			])
			for (const [method, path] of [
				['get', `/keys/${bobs.info.id}`],
				['post', `/keys/${bobs.info.id}/revoke`],
				['post', `/keys/${bobs.info.id}/rotate`],
				['delete', `/keys/${bobs.info.id}`],
				['get', `/keys/${bobs.info.id}/history`],
			] as [Method, string][]) {
				const theirs = await call(app, method, path, 'alice')
				const nobody = await call(app, method, path.replace(bobs.info.id, 'zzzzzzzzzzzz'), 'alice')
				// The same answer as for an id that does not exist: no way to probe for others' keys.
				expect([theirs.status, theirs.body]).toEqual([404, notFound])
				expect([nobody.status, nobody.body]).toEqual([404, notFound])
			}
			expect((await call(app, 'post', '/keys/revoke-all', 'alice')).body).toEqual({ revoked: 1 })
			expect((await keyward.verifyKey(bobs.key)).ok).toBe(true)
			expect((await keyward.getKey(bobs.info.id)).revokedAt).toBeNull()
		})

		it("refuses scopes beyond the owner's, at creation and at rotation", async () => {
			let scopes = ['read:*']
			const { app, created, keyward } = await setup({ allowedScopes: () => scopes })
			for (const asked of [['admin'], ['*'], ['read:users', 'write:users'], ['read']]) {
				const res = await call(app, 'post', '/keys', 'alice', { scopes: asked })
				expect([res.status, res.body.code]).toEqual([403, 'scope_not_allowed'])
			}
			const ok = await created('alice', { scopes: ['read:users', 'read:*'] })
			expect(ok.info.scopes).toEqual(['read:users', 'read:*'])
			scopes = ['read:users']
			const rotated = await call(app, 'post', `/keys/${ok.info.id}/rotate`, 'alice')
			expect([rotated.status, rotated.body.code]).toEqual([403, 'scope_not_allowed'])
			expect((await keyward.listKeys({ owner: 'alice' })).length).toBe(1)
			const none = await setup({ allowedScopes: undefined })
			expect((await call(none.app, 'post', '/keys', 'bob', { scopes: ['read:reports'] })).status).toBe(403)
			expect((await none.created('bob', { scopes: [] })).info.scopes).toEqual([])
		})

		it('rotates an own active key: new key once, old one in its grace period', async () => {
			const { app, keyward, created } = await setup()
			const first = await created('alice', { scopes: ['read:reports'] })
			const res = await call(app, 'post', `/keys/${first.info.id}/rotate`, 'alice', { graceMs: 60_000 })
			expect(res.status).toBe(201)
			expect(res.body.previous.id).toBe(first.info.id)
			expect(res.body.info.scopes).toEqual(['read:reports'])
			expect((await keyward.verifyKey(res.body.key)).ok).toBe(true)
			expect((await keyward.verifyKey(first.key)).ok).toBe(true)
			for (const graceMs of [-1, 1.5, '1h', 1e300, {}]) {
				const bad = await call(app, 'post', `/keys/${res.body.info.id}/rotate`, 'alice', { graceMs })
				expect([bad.status, bad.body.code]).toEqual([400, 'invalid_argument'])
			}
			await call(app, 'post', `/keys/${res.body.info.id}/revoke`, 'alice')
			const again = await call(app, 'post', `/keys/${res.body.info.id}/rotate`, 'alice')
			expect([again.status, again.body.code]).toEqual([409, 'key_not_active'])
		})

		it('serves the usage history of own keys and of the account, by UTC day', async () => {
			const { app, keyward, created } = await setup()
			const { key, info } = await created('alice', { scopes: ['read:users'] })
			await created('bob')
			expect((await keyward.verifyKey(key)).ok).toBe(true)
			expect((await keyward.verifyKey(key, { scopes: ['write:users'] })).ok).toBe(false)
			const one = await call(app, 'get', `/keys/${info.id}/history?days=7`, 'alice')
			expect([one.status, one.headers['cache-control']]).toEqual([200, 'no-store'])
			expect(one.body.history).toMatchObject({
				key: info.id,
				owner: null,
				granularity: 'day',
				total: { requests: 2, ok: 1, refused: 1, outcomes: { ok: 1, insufficient_scope: 1 } },
			})
			expect(one.body.history.buckets).toHaveLength(7)
			expect(one.body.history.buckets.at(-1)).toMatchObject({
				requests: 2,
				start: expect.stringMatching(/T00:00:00.000Z$/),
			})
			const account = await call(app, 'get', '/history', 'alice')
			expect(account.body.history).toMatchObject({ owner: 'alice', total: { requests: 2 } })
			expect(account.body.history.buckets).toHaveLength(30)
			expect((await call(app, 'get', '/history?days=2', 'bob')).body.history.total.requests).toBe(0)
			const refused = await call(app, 'get', `/keys/${info.id}/history?days=365`, 'alice')
			expect([refused.status, refused.body]).toEqual([
				400,
				{ detail: 'days must be a whole number from 1 to 90', code: 'invalid_argument' },
			])
		})

		it('revokes, deletes and revokes all of the own keys', async () => {
			const { app, keyward, created } = await setup()
			const [a, b, c] = [await created('alice'), await created('alice'), await created('alice')]
			const revoked = await call(app, 'post', `/keys/${a?.info.id}/revoke`, 'alice')
			expect(revoked.status).toBe(200)
			expect(revoked.body.info.revokedAt).not.toBeNull()
			expect((await keyward.verifyKey(a?.key as string)).ok).toBe(false)
			const deleted = await call(app, 'delete', `/keys/${b?.info.id}`, 'alice')
			expect([deleted.status, deleted.body.info.id]).toEqual([200, b?.info.id])
			expect((await call(app, 'get', `/keys/${b?.info.id}`, 'alice')).status).toBe(404)
			expect((await call(app, 'post', '/keys/revoke-all', 'alice')).body).toEqual({ revoked: 1 })
			expect((await keyward.verifyKey(c?.key as string)).ok).toBe(false)
		})

		it('enforces lifetimes, quotas and the number of active keys', async () => {
			const day = 86_400_000
			const { app, created } = await setup({ maxLifetimeMs: 30 * day, maxQuota: 1000, maxKeys: 2 })
			const refused: [object, string][] = [
				[{ expiresIn: '31d' }, 'lifetime_not_allowed'],
				[{ expiresIn: null }, 'lifetime_not_allowed'],
				[{ expiresIn: 30 * day + 1 }, 'lifetime_not_allowed'],
				[{ monthlyQuota: 1001 }, 'quota_not_allowed'],
				[{ monthlyQuota: null }, 'quota_not_allowed'],
			]
			for (const [body, code] of refused) {
				const res = await call(app, 'post', '/keys', 'alice', body)
				expect([res.status, res.body.code]).toEqual([403, code])
			}
			const byDefault = await created('alice')
			const lifetime =
				Date.parse(String(byDefault.info.expiresAt)) - Date.parse(String(byDefault.info.createdAt))
			expect([lifetime, byDefault.info.monthlyQuota]).toEqual([30 * day, 1000])
			await created('alice', { expiresIn: 600_000, monthlyQuota: 0 })
			const third = await call(app, 'post', '/keys', 'alice')
			expect([third.status, third.body.code]).toEqual([403, 'too_many_keys'])
			await call(app, 'post', `/keys/${byDefault.info.id}/revoke`, 'alice')
			await created('alice', { expiresIn: '7d' })
		})

		it('answers malformed and hostile bodies with 4xx JSON and creates nothing', async () => {
			const { app, keyward } = await setup()
			const cases: [string, string, number, string][] = [
				['application/json', '{"name":', 400, 'invalid_json'],
				['application/json', '[1,2]', 400, 'invalid_argument'],
				['application/json', '"text"', 400, 'invalid_argument'],
				['application/json', 'null', 400, 'invalid_argument'],
				['application/json', `{"name":"${'x'.repeat(20_000)}"}`, 413, 'payload_too_large'],
				['text/plain', '{"name":"x"}', 415, 'unsupported_media_type'],
				['application/json', '{"owner":"bob"}', 400, 'invalid_argument'],
				['application/json', '{"__proto__":{"admin":true}}', 400, 'invalid_argument'],
				['application/json', '{"name":42}', 400, 'invalid_argument'],
				['application/json', '{"scopes":"read:reports"}', 400, 'invalid_argument'],
				['application/json', '{"scopes":["a b"]}', 400, 'invalid_argument'],
				['application/json', '{"expiresIn":"10x"}', 400, 'invalid_argument'],
				['application/json', '{"expiresIn":-5}', 400, 'invalid_argument'],
				['application/json', '{"expiresIn":9007199254740991}', 400, 'invalid_argument'],
				['application/json', '{"monthlyQuota":-1}', 400, 'invalid_argument'],
				['application/json', '{"metadata":[1]}', 400, 'invalid_argument'],
			]
			for (const [type, text, status, code] of cases) {
				const res = await request(app)
					.post('/account/keys')
					.set('x-user', 'alice')
					.set('content-type', type)
					.send(text)
				responses.push({ route: 'POST /keys', text: res.text })
				expect([res.status, res.body.code]).toEqual([status, code])
			}
			expect(await keyward.listKeys()).toEqual([])
		})

		it("takes the scopes and quota a caller may grant from the owner's record, and honours its switch", async () => {
			const { app, keyward, created } = await setup({ allowedScopes: undefined })
			await keyward.setOwner('alice', { scopes: ['read:*'], monthlyQuota: 50 })
			expect((await created('alice', { scopes: ['read:users'] })).info.scopes).toEqual(['read:users'])
			expect((await created('alice', { scopes: 'inherit' })).info.scopes).toBe('inherit')
			const beyond = await call(app, 'post', '/keys', 'alice', { scopes: ['write:x'] })
			expect([beyond.status, beyond.body.code]).toEqual([403, 'scope_not_allowed'])
			const tooMuch = await call(app, 'post', '/keys', 'alice', { monthlyQuota: 60 })
			expect([tooMuch.status, tooMuch.body.code]).toEqual([403, 'quota_not_allowed'])
			const own = await created('alice', { monthlyQuota: 10 })
			const listed = await call(app, 'get', '/keys', 'alice')
			expect(listed.body.account).toMatchObject({
				id: 'alice',
				monthlyQuota: 50,
				usage: { used: 0, limit: 50 },
			})
			expect((await call(app, 'get', '/keys', 'bob')).body.account).toBeNull()
			await keyward.setOwner('alice', { disabled: true })
			const off = await call(app, 'post', '/keys', 'alice', {})
			expect([off.status, off.body]).toEqual([
				403,
				{ detail: 'The account is disabled', code: 'owner_disabled' },
			])
			const rotate = await call(app, 'post', `/keys/${own.info.id}/rotate`, 'alice', {})
			expect(rotate.status).toBe(403)
			expect((await call(app, 'post', `/keys/${own.info.id}/revoke`, 'alice')).status).toBe(200)
		})

		it('uses a body the host already parsed', async () => {
			const keyward = createKeyward()
			const app = appFor(keyward, {}, true)
			const res = await call(app, 'post', '/keys', 'alice', { name: 'parsed by the host' })
			expect([res.status, res.body.info.name]).toEqual([201, 'parsed by the host'])
		})

		it('records who did what, from where, in an attached audit sink', async () => {
			const { app, keyward, created } = await setup({ actor: (request) => request.get('x-actor') })
			const entries: AuditEntry[] = []
			attachAuditSink(keyward, { write: (entry) => void entries.push(entry) })
			const { key, info } = await created('alice')
			await request(app)
				.post(`/account/keys/${info.id}/revoke`)
				.set('x-user', 'alice')
				.set('x-actor', 'support-7')
				.set('content-type', 'application/json')
			expect(entries.map((e) => [e.action, e.keyId, e.owner, e.actor])).toEqual([
				['key.created', info.id, 'alice', 'alice'],
				['key.revoked', info.id, 'alice', 'support-7'],
			])
			expect(entries[0]?.source).toMatch(/127\.0\.0\.1/)
			expect(JSON.stringify(entries)).not.toContain(key)
		})

		it('passes failures of the host and of the store on correctly', async () => {
			const throwing = appFor(createKeyward(), {
				owner: () => {
					throw new Error('session store down')
				},
			})
			const res = await call(throwing, 'get', '/keys', 'alice')
			expect([res.status, res.body.detail]).toEqual([500, 'host error handler'])
			const down = appFor(createKeyward({ store: failingStore(), storeTimeoutMs: 1000 }))
			const answer = await call(down, 'get', '/keys', 'alice')
			expect([answer.status, answer.body]).toEqual([
				503,
				{ detail: 'Key store unavailable', code: 'unavailable' },
			])
		})

		it('validates its options at once', () => {
			const keyward = createKeyward()
			const owner = () => 'x'
			expect(() => adapter.router(keyward, { owner, maxKey: 3 } as never)).toThrow(/did you mean "maxKeys"/)
			expect(() => adapter.router(keyward, {} as never)).toThrow(/owner/)
			expect(() => adapter.router({} as never, { owner })).toThrow(/keyward/)
			expect(() => adapter.router(keyward, { owner, maxLifetimeMs: 0 })).toThrow(/maxLifetimeMs/)
			expect(() => adapter.router(keyward, { owner, maxQuota: -1 })).toThrow(/maxQuota/)
			expect(() => adapter.router(keyward, { owner, allowedScopes: ['a b'] })).toThrow(/allowedScopes/)
			expect(() => adapter.router(keyward, { owner, defaultLifetimeMs: 2, maxLifetimeMs: 1 })).toThrow(
				/defaultLifetimeMs/,
			)
		})

		it('answers any id in the path with 404, never 5xx or another owner’s key', async () => {
			const { app, created } = await setup()
			await created('bob')
			await fc.assert(
				fc.asyncProperty(
					fc.string({ minLength: 1, maxLength: 80 }),
					fc.constantFrom<[Method, string]>(
						['get', ''],
						['post', '/revoke'],
						['post', '/rotate'],
						['delete', ''],
					),
					async (id, [method, action]) => {
						const res = await call(app, method, `/keys/${encodeURIComponent(id)}${action}`, 'alice')
						if (id === 'revoke-all' && method === 'post' && action === '') return
						expect(res.status).toBe(404)
					},
				),
				{ numRuns: 150 },
			)
		})

		it('answers any JSON body with 201, 400 or 403, and never grants more than allowed', async () => {
			const { app } = await setup({ maxKeys: 10_000 })
			const field = fc.oneof(
				fc.jsonValue(),
				fc.array(fc.constantFrom('read:users', 'admin', '*', 'read:*', 'x y')),
			)
			const body = fc.dictionary(
				fc.constantFrom('name', 'note', 'scopes', 'expiresIn', 'monthlyQuota', 'metadata', 'owner'),
				field,
			)
			await fc.assert(
				fc.asyncProperty(body, async (fields) => {
					const res = await call(app, 'post', '/keys', 'bob', fields)
					expect([201, 400, 403]).toContain(res.status)
					if (res.status === 201) {
						expect(res.body.info.owner).toBe('bob')
						for (const scope of res.body.info.scopes) expect(scopeGrants('read:reports', scope)).toBe(true)
					} else expect(Object.keys(res.body).sort()).toEqual(['code', 'detail'])
				}),
				{ numRuns: 200 },
			)
		})
		extra?.({ setup, call, record: (route, text) => responses.push({ route, text }) })
	})
}
