import { createKeyward, isKeywardError, type Keyward } from '@keyward/core'
import { beforeAll, describe, expect, it } from 'vitest'
import type { AppBuilder, AuthOptions, RequestView } from './adapter-app.js'
import { expectRefusal, secret, send, tamper } from './adapter-harness.js'

/** How an adapter takes part in {@link describeAdapterOptions}. */
export interface OptionsAdapter<M, Skip> extends AppBuilder<M, Skip> {
	/** Where a handler finds the key, as test titles name it: `'req.apiKey'`, `'ctx.state.apiKey'`. */
	readonly keyAt: string
	/** Where middleware keeps per-request state, as test titles name it: `'res.locals'`, `'ctx.state'`. */
	readonly stateAt: string
	/** The body of the 500 that `serveApp`'s error handling answers when a middleware throws. */
	readonly errorText: string
	/** A middleware that calls `use` with a view of the request, then passes the request on. */
	viewing(use: (request: RequestView) => void): M
	/** A `skip` option that answers what `test` answers for a view of the request. */
	skipWhen(test: (request: RequestView) => boolean | Promise<boolean>): Skip
}

/**
 * Options suite shared by the adapters: `optional`, `skip`, `preflight` and `cost` at work, and
 * the checks at start-up that refuse unknown options (with a "did you mean" suggestion), invalid
 * values, a missing keyward and malformed `requireScopes` arguments. Call `useHarness()` in the
 * test file too.
 */
export function describeAdapterOptions<M, Skip>(adapter: OptionsAdapter<M, Skip>): void {
	const { apiKeyAuth, requireScopes, serveApp, viewing, skipWhen } = adapter
	const keyward = createKeyward()
	let key: string

	beforeAll(async () => {
		key = secret((await keyward.createKey({ owner: 'acme', scopes: ['read:*'] })).key)
	})

	describe('optional', () => {
		it(`lets requests without credentials through without ${adapter.keyAt}`, async () => {
			const app = await serveApp(apiKeyAuth(keyward, { optional: true }))
			expect((await send(app.server, '/')).status).toBe(200)
			expect(app.hits[0]?.hasApiKey).toBe(false)
			expect((await send(app.server, '/', { 'x-api-key': key })).status).toBe(200)
			expect(app.hits[1]?.apiKey?.owner).toBe('acme')
		})

		it('still refuses bad, unknown or ambiguous keys', async () => {
			const app = await serveApp(apiKeyAuth(keyward, { optional: true }))
			expectRefusal(await send(app.server, '/', { 'x-api-key': tamper(key) }), 'malformed')
			expectRefusal(await send(app.server, '/?api_key='), 'malformed')
			const stranger = secret((await createKeyward().createKey({ owner: 'x' })).key)
			expectRefusal(await send(app.server, '/', { 'x-api-key': stranger }), 'invalid')
			expectRefusal(await send(app.server, `/?api_key=${stranger}`, { 'x-api-key': key }), 'ambiguous')
			expect(app.hits).toHaveLength(0)
		})

		it('combines with requireScopes to protect single routes', async () => {
			const app = await serveApp(apiKeyAuth(keyward, { optional: true }), requireScopes())
			expectRefusal(await send(app.server, '/'), 'missing')
			expect((await send(app.server, '/', { 'x-api-key': key })).status).toBe(200)
		})

		it("answers requireScopes' 401 with the keyward's realm", async () => {
			const shop = createKeyward({ realm: 'shop' })
			const app = await serveApp(apiKeyAuth(shop, { optional: true }), requireScopes('read:x'))
			const answer = await send(app.server, '/')
			expect(answer.status).toBe(401)
			expect(answer.body).toStrictEqual({ detail: 'Not authenticated', code: 'missing' })
			expect(answer.headers['www-authenticate']).toBe('Apikey realm="shop"')
		})
	})

	describe('skip', () => {
		it('bypasses authentication when it returns true, sync or async', async () => {
			const sync = await serveApp(apiKeyAuth(keyward, { skip: skipWhen((req) => req.path === '/health') }))
			const later = await serveApp(
				apiKeyAuth(keyward, { skip: skipWhen(async (req) => req.path === '/health') }),
			)
			for (const app of [sync, later]) {
				expect((await send(app.server, '/health')).status).toBe(200)
				expect(app.hits[0]?.hasApiKey).toBe(false)
				expectRefusal(await send(app.server, '/other'), 'missing')
				expect((await send(app.server, '/other', { 'x-api-key': key })).status).toBe(200)
			}
		})

		it(`can read ${adapter.stateAt} set by an earlier middleware`, async () => {
			const app = await serveApp(
				viewing((req) => {
					req.state.trusted = req.path === '/internal'
				}),
				apiKeyAuth(keyward, { skip: skipWhen((req) => req.state.trusted === true) }),
			)
			expect((await send(app.server, '/internal')).status).toBe(200)
			expectRefusal(await send(app.server, '/public'), 'missing')
		})

		it("hands a throwing or rejecting skip to the framework's error handling instead of hanging", async () => {
			const thrower = await serveApp(
				apiKeyAuth(keyward, {
					skip: skipWhen(() => {
						throw new Error('skip failed')
					}),
				}),
			)
			const rejecter = await serveApp(
				apiKeyAuth(keyward, { skip: skipWhen(() => Promise.reject(new Error('no'))) }),
			)
			for (const app of [thrower, rejecter]) {
				const answer = await send(app.server, '/', { 'x-api-key': key })
				expect(answer.status).toBe(500)
				expect(answer.text).toBe(adapter.errorText)
				expect(app.errors).toHaveLength(1)
				expect(app.hits).toHaveLength(0)
			}
		})
	})

	describe('preflight', () => {
		const preflight = { origin: 'https://app.example', 'access-control-request-method': 'DELETE' }

		it('passes CORS preflights through untouched by default', async () => {
			const app = await serveApp(apiKeyAuth(keyward))
			expect((await send(app.server, '/things', preflight, 'OPTIONS')).status).toBe(200)
			expect(app.hits[0]?.hasApiKey).toBe(false)
		})

		it('authenticates a plain OPTIONS request', async () => {
			const app = await serveApp(apiKeyAuth(keyward))
			expectRefusal(
				await send(app.server, '/things', { origin: 'https://app.example' }, 'OPTIONS'),
				'missing',
			)
		})

		it("authenticates preflights with preflight: 'authenticate'", async () => {
			const app = await serveApp(apiKeyAuth(keyward, { preflight: 'authenticate' }))
			expectRefusal(await send(app.server, '/things', preflight, 'OPTIONS'), 'missing')
			expect(app.hits).toHaveLength(0)
		})
	})

	describe('cost', () => {
		it('charges the given number of quota units', async () => {
			const limited = secret((await keyward.createKey({ owner: 'acme', monthlyQuota: 10 })).key)
			const app = await serveApp(apiKeyAuth(keyward, { cost: 4 }))
			expect((await send(app.server, '/', { 'x-api-key': limited })).headers.ratelimit).toMatch(/r=6;/)
			expect((await send(app.server, '/', { 'x-api-key': limited })).headers.ratelimit).toMatch(/r=2;/)
			expectRefusal(await send(app.server, '/', { 'x-api-key': limited }), 'quota_exceeded')
		})
	})

	describe('validation at start-up', () => {
		type Options = AuthOptions<Skip>

		function invalid(run: () => unknown, message: RegExp, code = 'invalid_option') {
			let thrown: unknown
			try {
				run()
			} catch (error) {
				thrown = error
			}
			expect(isKeywardError(thrown)).toBe(true)
			expect((thrown as { code: string }).code).toBe(code)
			expect((thrown as Error).message).toMatch(message)
		}

		it('rejects unknown options with a suggestion', () => {
			const typo = { optinal: true } as Options
			invalid(() => apiKeyAuth(keyward, typo), /Unknown option "optinal".*did you mean "optional"/)
			invalid(() => apiKeyAuth(keyward, { realm: 'x' } as Options), /Unknown option "realm"/)
		})

		it('rejects invalid values', () => {
			const bad = (options: Record<string, unknown>) => () => apiKeyAuth(keyward, options as Options)
			invalid(bad({ optional: 'yes' }), /optional must be true or false/)
			invalid(bad({ skip: true }), /skip must be a function/)
			invalid(bad({ preflight: 'allow' }), /preflight must be "skip" or "authenticate"/)
			invalid(bad({ hideCredentials: 'header' }), /hideCredentials/)
			invalid(bad({ cost: -1 }), /cost must be a non-negative integer/)
			invalid(bad({ cost: 1.5 }), /cost/)
			invalid(bad({ scopes: 'admin' }), /scopes must be an array/)
			invalid(bad({ scopes: ['has space'] }), /scopes must contain only scopes/)
			invalid(() => apiKeyAuth(keyward, null as unknown as Options), /must be an object/)
		})

		it('rejects a missing keyward and malformed requireScopes arguments', () => {
			invalid(() => apiKeyAuth(undefined as unknown as Keyward), /keyward instance/, 'invalid_argument')
			invalid(() => requireScopes('ok', ''), /requireScopes arguments/)
		})
	})
}
