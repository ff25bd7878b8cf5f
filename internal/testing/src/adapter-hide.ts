import { createKeyward, type Keyward } from '@keyward/core'
import { beforeAll, describe, expect, it } from 'vitest'
import {
	type AppBuilder,
	type AuthApp,
	expectUrls,
	mentions,
	type Seen,
	type UrlForm,
} from './adapter-app.js'
import { expectRefusal, secret, send, tamper } from './adapter-harness.js'

/** How an adapter takes part in {@link describeAdapterHiding}. */
export interface HidingAdapter<M, Skip> extends AppBuilder<M, Skip> {
	/**
	 * Every copy of the request URL the framework keeps, under the name `Seen.urls` reports it by,
	 * with its form: the suite checks each of them.
	 */
	readonly urlForms: Readonly<Record<string, UrlForm>>
	/**
	 * A middleware, placed before authentication, that records what it saw of the request once the
	 * rest of the chain is done, as access loggers do: it sees the requests authentication refused.
	 */
	logger(lines: Seen[]): M
	/** A handler that throws `new Error(message)`. */
	throwing(message: string): M
}

/** What {@link describeAdapterHiding} hands to an adapter's own tests: its keyward and a key of it. */
export interface HidingHelpers {
	keyward: Keyward
	/** A key of `keyward`, created before the tests run. */
	key(): string
}

/**
 * Hiding suite shared by the adapters: `hideCredentials` (`'query'` by default, `true`, `false`,
 * or the keyward's default) as seen by the handler, a logger around authentication and the
 * framework's error handling, in every copy of the URL the framework keeps, the query and the
 * headers. `extra` registers an adapter's own tests of the default in the same `describe`.
 * Call `useHarness()` in the test file too.
 */
export function describeAdapterHiding<M, Skip>(
	adapter: HidingAdapter<M, Skip>,
	extra?: (helpers: HidingHelpers) => void,
): void {
	const { apiKeyAuth, serveApp, logger, throwing, urlForms } = adapter
	const keyward = createKeyward()
	let key: string

	beforeAll(async () => {
		key = secret((await keyward.createKey({ owner: 'acme' })).key)
	})

	/** Every copy of the URL in `seen` is `pathAndQuery`, in its form. */
	function expectUrl(app: AuthApp, seen: Seen | undefined, pathAndQuery: string): void {
		expectUrls(urlForms, app.server, seen, pathAndQuery)
	}

	describe("hideCredentials: 'query' (default)", () => {
		let app: AuthApp
		beforeAll(async () => {
			app = await serveApp(apiKeyAuth(keyward))
		})

		it(`removes the key from ${Object.keys(urlForms).join(', ')} and query, keeping other parameters`, async () => {
			expect((await send(app.server, `/items?a=1&api_key=${key}&b=2`)).status).toBe(200)
			const hit = app.hits.at(-1)
			expectUrl(app, hit, '/items?a=1&b=2')
			expect(hit?.query).toStrictEqual({ a: '1', b: '2' })
			expect(mentions(hit, key)).toBe(false)
		})

		it('leaves the headers alone', async () => {
			expect((await send(app.server, '/', { 'x-api-key': key })).status).toBe(200)
			expect(app.hits.at(-1)?.headers['x-api-key']).toBe(key)
		})

		it('hides a refused key from a logger wrapped around authentication', async () => {
			const lines: Seen[] = []
			const target = await serveApp(logger(lines), apiKeyAuth(keyward, { optional: true }))
			const bad = tamper(key)
			expectRefusal(await send(target.server, `/x?api_key=${bad}&page=2`), 'malformed')
			expectRefusal(await send(target.server, `/x?api_key=${key}&api_key=${bad}`), 'ambiguous')
			await expect.poll(() => lines.length).toBe(2)
			expectUrl(target, lines[0], '/x?page=2')
			expectUrl(target, lines[1], '/x')
			expect(lines[0]?.query).toStrictEqual({ page: '2' })
			for (const line of lines) expect(mentions(line, bad) || mentions(line, key)).toBe(false)
		})

		it("hides the key from the framework's error handling", async () => {
			const target = await serveApp(apiKeyAuth(keyward), throwing('boom'))
			expect((await send(target.server, `/boom?api_key=${key}&q=1`)).status).toBe(500)
			expect(target.errors).toHaveLength(1)
			const seen = target.errors[0]?.seen
			expectUrl(target, seen, '/boom?q=1')
			expect(seen?.query).toStrictEqual({ q: '1' })
			expect(mentions(seen, key)).toBe(false)
		})

		extra?.({ keyward, key: () => key })
	})

	describe('hideCredentials: true', () => {
		it('also removes the header that carried the key, from headers and rawHeaders', async () => {
			const app = await serveApp(apiKeyAuth(keyward, { hideCredentials: true }))
			expect((await send(app.server, '/?z=9', { 'x-api-key': key, 'x-trace': 't1' })).status).toBe(200)
			expect((await send(app.server, '/', { authorization: `Apikey ${key}` })).status).toBe(200)
			expect((await send(app.server, `/?api_key=${key}`)).status).toBe(200)
			const [byHeader, byAuthorization, byQuery] = app.hits
			expect(byHeader?.headers).not.toHaveProperty('x-api-key')
			expect(byHeader?.headers['x-trace']).toBe('t1')
			expect(byHeader?.rawHeaders).toContain('t1')
			expect(byHeader?.query).toStrictEqual({ z: '9' })
			expectUrl(app, byHeader, '/?z=9')
			expect(byAuthorization?.headers).not.toHaveProperty('authorization')
			expectUrl(app, byQuery, '/')
			for (const hit of app.hits) expect(mentions(hit, key)).toBe(false)
		})
	})

	describe('hideCredentials: false', () => {
		it('leaves every copy of the URL, the query and the headers untouched', async () => {
			const app = await serveApp(apiKeyAuth(keyward, { hideCredentials: false }))
			expect((await send(app.server, `/?api_key=${key}&b=2`)).status).toBe(200)
			expect((await send(app.server, '/', { 'x-api-key': key })).status).toBe(200)
			const [byQuery, byHeader] = app.hits
			expectUrl(app, byQuery, `/?api_key=${key}&b=2`)
			expect(byQuery?.query).toStrictEqual({ api_key: key, b: '2' })
			expect(byHeader?.headers['x-api-key']).toBe(key)
			expect(byHeader?.rawHeaders).toContain(key)
		})

		it("follows the keyward's default when the adapter does not override it", async () => {
			const keeping = createKeyward({ hideCredentials: false })
			const own = secret((await keeping.createKey({ owner: 'acme' })).key)
			const app = await serveApp(apiKeyAuth(keeping))
			const strict = await serveApp(apiKeyAuth(keeping, { hideCredentials: 'query' }))
			expect((await send(app.server, `/?api_key=${own}`)).status).toBe(200)
			expect((await send(strict.server, `/?api_key=${own}`)).status).toBe(200)
			expectUrl(app, app.hits[0], `/?api_key=${own}`)
			expectUrl(strict, strict.hits[0], '/')
		})
	})
}
