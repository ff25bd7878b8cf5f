import { type KeyInfo, type Keyward, KeywardError } from '@keyward/core'
import {
	createAuthenticator,
	createScopeGuard,
	type FrameworkBinding,
	type MiddlewareOptions,
	refusalBody,
	setHeaders,
} from '@keyward/core/adapter'
import type { Context, MiddlewareHandler } from 'hono'
import { withHeaders } from '../responses.js'
import {
	type ClientOf,
	type HonoRequestView,
	hideCredentialsInHono,
	newViewOf,
	nodeResponseOf,
	socketAddress,
	viewOf,
} from './hono-request.js'

declare module 'hono' {
	interface ContextVariableMap {
		/** Public info of the verified key, set by `apiKeyAuth`; `undefined` when not authenticated. */
		apiKey: KeyInfo | undefined
	}
}

/** The `skip` option: called with Hono's context. */
export type SkipContext = (c: Context) => boolean | Promise<boolean>

/**
 * Options of {@link apiKeyAuth}: `scopes`, `hideCredentials` and `cost` of core's `verify`,
 * `optional`, `skip(c)` and `preflight`, plus `client`.
 */
export interface ApiKeyAuthOptions extends MiddlewareOptions<SkipContext> {
	/**
	 * The client address, for the keyward's `failureLimit`. Hono has no trust-proxy setting: behind
	 * a proxy you trust, return the last `X-Forwarded-For` entry.
	 * @defaultValue the socket's peer address on `@hono/node-server`, else none (no failure limit)
	 */
	client?: ClientOf | undefined
}

/** Hono as core sees it: the context is the view of the request, which holds `c`. */
function honoBinding(client: ClientOf): FrameworkBinding<HonoRequestView, SkipContext> {
	return {
		name: 'apiKeyAuth',
		options: ['client'],
		request: (view) => view,
		client: (view) => client(view.c),
		skip: (skip, view) => skip(view.c),
		hide: (view, hide) => hideCredentialsInHono(view.c, hide),
		accept(view, result) {
			view.c.set('apiKey', result.key)
			// On Node the headers go straight to the Node response that Hono's answer is written to, where
			// a header of the same name in the answer replaces them; `c.header()` would make every
			// response build and copy a Web `Headers`. Elsewhere they are added to the answer once it is
			// made: Hono drops what `c.header()` set when a handler returns a `Response` of its own.
			const outgoing = nodeResponseOf(view.c)
			if (outgoing !== undefined) setHeaders(outgoing, result.headers)
			else view.answerHeaders = result.headers
		},
		key: (view) => view.c.get('apiKey'),
		refuse(view, refusal) {
			// Setting `c.res` ends the chain: nothing after this middleware runs.
			view.c.res = view.c.json(refusalBody(refusal), refusal.status, refusal.headers)
		},
	}
}

/**
 * Authenticate requests with keyward, as Hono middleware. On success `c.get('apiKey')` holds the
 * key's public info and the response carries the key's RateLimit headers; otherwise the answer
 * is JSON `{ "detail": ..., "code": ... }` with the status and headers core chose
 * (`WWW-Authenticate` on 401, `Retry-After` on 429), and `next()` is not called. A key in the
 * query is removed from `c.req.url`, `c.req.query()` and `c.req.raw` (a copy of the request
 * replaces it) before later middleware and handlers see the request.
 *
 * The RateLimit headers reach the client whatever `Response` the app answers with; a header of the
 * same name in that answer wins. On `@hono/node-server` they are set on the Node response
 * (`c.env.outgoing`), so `c.res.headers` does not list them; elsewhere they are added to `c.res`
 * once the rest of the chain has answered.
 *
 * Options are validated at once: an unknown or invalid option throws `KeywardError('invalid_option')`.
 * @param keyward - the verifier from `createKeyward()`
 * @param options - see {@link ApiKeyAuthOptions}
 * @example
 * app.use('/api/*', apiKeyAuth(keyward, { scopes: ['read:*'] }))
 * app.get('/api/me', (c) => c.json({ owner: c.get('apiKey')?.owner }))
 */
export function apiKeyAuth(keyward: Keyward, options: Readonly<ApiKeyAuthOptions> = {}): MiddlewareHandler {
	const client = options?.client ?? socketAddress
	if (typeof client !== 'function') throw new KeywardError('invalid_option', 'client must be a function')
	const authenticate = createAuthenticator(keyward, options, honoBinding(client))
	return async function apiKeyAuthMiddleware(c, next) {
		const view = newViewOf(c)
		const go = authenticate(view)
		const verified = go === true || (go !== false && (await go))
		if (!verified) return
		await next()
		if (view.answerHeaders !== undefined) addMissingHeaders(c, view.answerHeaders)
	}
}

/**
 * Add to the app's answer each of `headers` it does not have (the app's own value wins), in place
 * unless its headers cannot change: `c.header()` would copy the answer once per header.
 */
function addMissingHeaders(c: Context, headers: Readonly<Record<string, string>>): void {
	const answer = c.res
	const missing: Record<string, string> = {}
	for (const name in headers) if (!answer.headers.has(name)) missing[name] = headers[name] as string
	const withMissing = withHeaders(answer, missing)
	if (withMissing !== answer) c.res = withMissing
}

const guardBinding = honoBinding(socketAddress)

/**
 * Require every one of `scopes` on the key that {@link apiKeyAuth} verified earlier: 401 `missing`
 * when `c.get('apiKey')` is absent, 403 `insufficient_scope` when a scope is not granted
 * (`read:*` grants `read:users`, `*` grants everything). Without arguments it only requires an
 * authenticated request, which is useful after `apiKeyAuth(keyward, { optional: true })`.
 *
 * Scopes are validated at once and throw `KeywardError('invalid_option')` when malformed.
 * @example
 * app.delete('/api/users/:id', requireScopes('users:write'), deleteUser)
 */
export function requireScopes(...scopes: string[]): MiddlewareHandler {
	const guard = createScopeGuard(scopes, guardBinding)
	return async function requireScopesMiddleware(c, next) {
		if (guard(viewOf(c))) await next()
	}
}
