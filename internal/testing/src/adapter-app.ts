/**
 * What the middleware suites (status, extraction, hiding, options, properties) know of an
 * adapter: how to build its middleware, how to serve a chain of it, and what a handler behind it
 * saw of the request. `M` is the framework's middleware type, `Skip` the type of `apiKeyAuth`'s
 * `skip` option, whose arguments are the framework's.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { KeyInfo, Keyward } from '@keyward/core'
import type { MiddlewareOptions, SessionCookieOptions } from '@keyward/core/adapter'
import type { LeakReportOptions } from '@keyward/core/management'
import { expect } from 'vitest'

/** `apiKeyAuth`'s options in either adapter: core's `VerifyOptions` and what only a middleware decides. */
export type AuthOptions<Skip> = MiddlewareOptions<Skip>

/**
 * The form a copy of the request URL takes: `path` with its query (`/items?a=1`), the `query`
 * alone without `?` (`a=1`), or the `absolute` URL (`http://127.0.0.1:3000/items?a=1`).
 */
export type UrlForm = 'path' | 'query' | 'absolute'

/** What a middleware or handler saw of the request: everything a logger could copy off it. */
export interface Seen {
	apiKey: KeyInfo | undefined
	/** Whether the key's property (`req.apiKey`, `ctx.state.apiKey`) exists, even as `undefined`. */
	hasApiKey: boolean
	/** Every copy of the request URL the framework keeps, by name (`url`, `originalUrl`, ...). */
	urls: Record<string, string>
	query: Record<string, unknown>
	headers: Record<string, string | string[] | undefined>
	rawHeaders: string[]
}

/** An adapter's test app: what reached the final handler, and what reached the framework's error handling. */
export interface AuthApp {
	server: Server
	hits: Seen[]
	errors: Array<{ error: unknown; seen: Seen }>
}

/**
 * What both adapters export for authentication, `M` being the framework's middleware and `Skip`
 * the type of the `skip` option.
 */
export interface AuthExports<M, Skip> {
	apiKeyAuth: (keyward: Keyward, options?: Readonly<AuthOptions<Skip>>) => M
	requireScopes: (...scopes: string[]) => M
}

/**
 * Everything the Express and Koa adapters export for a user, typed alike: `M` is the framework's
 * middleware, `Skip` the type of `skip`, `C` what its handlers get (Express `req`, Koa `ctx`).
 */
export interface NodeAdapterExports<M, Skip, C> extends AuthExports<M, Skip> {
	leakReportHandler: (keyward: Keyward, options: Readonly<LeakReportOptions<C>>) => M
	sessionLogin: (keyward: Keyward, options?: Readonly<SessionCookieOptions>) => M
	sessionLogout: (keyward: Keyward, options?: Readonly<SessionCookieOptions>) => M
}

/** The names of {@link NodeAdapterExports}. */
export type NodeAdapterFunction = keyof NodeAdapterExports<unknown, unknown, unknown>

/** How an adapter builds and serves its authentication middleware. The suites call its members unbound. */
export interface AppBuilder<M, Skip> extends AuthExports<M, Skip> {
	/**
	 * Serve `middleware` in order, then a final handler that records what it saw in `hits` and
	 * answers 200 `{ reached: true }`. What reaches the framework's error handling goes to `errors`.
	 */
	serveApp(...middleware: M[]): Promise<AuthApp>
}

/** A framework-neutral view of a request, for `skip` options and the middleware that runs before them. */
export interface RequestView {
	path: string
	/** Where middleware keeps per-request state: Express's `res.locals`, Koa's `ctx.state`. */
	state: Record<string, unknown>
}

/** Whether `seen` mentions `text` anywhere (URL copies, query, headers, key). */
export function mentions(seen: Seen | undefined, text: string): boolean {
	return JSON.stringify(seen).includes(text)
}

/**
 * Assert that every copy of the URL in `seen` is exactly `pathAndQuery` in its form, and that
 * `seen` reports exactly the copies in `forms`. `server` gives the origin of absolute copies.
 */
export function expectUrls(
	forms: Readonly<Record<string, UrlForm>>,
	server: Server,
	seen: Seen | undefined,
	pathAndQuery: string,
): void {
	const { port } = server.address() as AddressInfo
	const mark = pathAndQuery.indexOf('?')
	const byForm: Record<UrlForm, string> = {
		path: pathAndQuery,
		query: mark === -1 ? '' : pathAndQuery.slice(mark + 1),
		absolute: `http://127.0.0.1:${port}${pathAndQuery}`,
	}
	const expected = Object.fromEntries(Object.entries(forms).map(([name, form]) => [name, byForm[form]]))
	expect(seen?.urls).toStrictEqual(expected)
}
