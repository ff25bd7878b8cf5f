import { KeywardError } from './errors.js'
import type { Keyward } from './keyward.js'
import { rejectUnknownOptions } from './options.js'
import { checkScopes, SCOPE_PATTERN } from './scopes.js'
import {
	type ResolvedSessionOptions,
	resolveSessionOptions,
	type SessionAuthOptions,
} from './session-options.js'
import type { KeyInfo, RequestLike, VerifyFailure, VerifyOptions } from './types.js'

/**
 * Options of an adapter's `apiKeyAuth`: core's `VerifyOptions` plus what only a middleware can
 * decide. `Skip` is the framework's signature of `skip`.
 */
export interface MiddlewareOptions<Skip> extends Omit<VerifyOptions, 'client'> {
	/**
	 * Let requests that carry no credentials at all through, without a key. A request with a bad,
	 * revoked or ambiguous key is still refused: "optional" never means "any key will do".
	 * @defaultValue false
	 */
	optional?: boolean | undefined
	/**
	 * Return `true` (or a promise of it) to pass a request on without looking at its credentials,
	 * e.g. for a health check. A throwing `skip` goes to the framework's error handling.
	 * @defaultValue none (every request is authenticated)
	 */
	skip?: Skip | undefined
	/**
	 * CORS preflights (`OPTIONS` with `Access-Control-Request-Method`) never carry credentials, so by
	 * default (`'skip'`) they pass untouched for a CORS middleware to answer. `'authenticate'` treats
	 * them like any other request.
	 * @defaultValue 'skip'
	 */
	preflight?: 'skip' | 'authenticate' | undefined
	/**
	 * Accept the session cookie of a login (`sessionLogin`) as a credential, with the same result,
	 * scopes, quota counting and refusals as the key it was started with. A key in the request wins
	 * over the cookie. Cookie-authenticated changes must come from a page of this origin (CSRF);
	 * `fromQuery` also logs in a page opened with `?api_key=`. @defaultValue none (keys only)
	 */
	session?: SessionAuthOptions | undefined
}

/** {@link MiddlewareOptions} after validation. */
export interface ResolvedMiddlewareOptions<Skip> {
	readonly optional: boolean
	readonly skip: Skip | undefined
	readonly authenticatePreflight: boolean
	/** What to pass to `keyward.verify` on every request: validated once, never copied per request. */
	readonly verify: Readonly<VerifyOptions>
	/** The session cookie as a credential, or `undefined` for keys only. */
	readonly session: ResolvedSessionOptions | undefined
}

/** How an adapter names itself and reads the client address. */
export interface MiddlewareHost {
	/** `'apiKeyAuth'`, for error messages. */
	readonly name: string
	/** Option names the adapter adds and reads itself; accepted besides core's. */
	readonly options?: readonly string[] | undefined
	/** The client address honouring the framework's trust-proxy setting (`req.ip`); read only when a `failureLimit` is configured. */
	readonly client?: ((req: RequestLike) => string | undefined) | undefined
}

const MIDDLEWARE_OPTIONS = ['scopes', 'hideCredentials', 'cost', 'optional', 'skip', 'preflight', 'session']

function fail(message: string): never {
	throw new KeywardError('invalid_option', message)
}

/** Validate a scope list given to middleware; returns a frozen copy. */
export function resolveScopes(scopes: unknown, where: string): readonly string[] {
	if (!Array.isArray(scopes)) fail(`${where} must be an array of scope strings`)
	for (const scope of scopes) {
		if (typeof scope !== 'string' || !SCOPE_PATTERN.test(scope)) {
			fail(`${where} must contain only scopes of 1-128 printable ASCII characters without spaces`)
		}
	}
	return Object.freeze([...(scopes as string[])])
}

/**
 * Validate an adapter's `apiKeyAuth(keyward, options)` at once, so a typo fails at start-up, and
 * split the options into what the middleware decides and what `keyward.verify` receives.
 * @example
 * const { optional, skip, authenticatePreflight, verify } =
 *   resolveMiddlewareOptions(keyward, options, { name: 'apiKeyAuth', client: (req) => (req as Request).ip })
 */
export function resolveMiddlewareOptions<Skip>(
	keyward: Keyward,
	options: Readonly<MiddlewareOptions<Skip>>,
	host: MiddlewareHost,
): ResolvedMiddlewareOptions<Skip> {
	if (typeof keyward?.verify !== 'function') {
		throw new KeywardError('invalid_argument', `${host.name} expects a keyward instance from createKeyward()`)
	}
	if (typeof options !== 'object' || options === null) fail(`${host.name} options must be an object`)
	const known = host.options === undefined ? MIDDLEWARE_OPTIONS : [...MIDDLEWARE_OPTIONS, ...host.options]
	rejectUnknownOptions(options, known, `${host.name} options`)
	const { optional, skip, preflight, scopes, hideCredentials, cost, session } = options
	if (optional !== undefined && typeof optional !== 'boolean') fail('optional must be true or false')
	if (skip !== undefined && typeof skip !== 'function') fail('skip must be a function')
	if (preflight !== undefined && preflight !== 'skip' && preflight !== 'authenticate') {
		fail('preflight must be "skip" or "authenticate"')
	}
	const verify: VerifyOptions = {}
	if (scopes !== undefined) verify.scopes = resolveScopes(scopes, 'scopes')
	if (hideCredentials !== undefined) {
		if (hideCredentials !== 'query' && typeof hideCredentials !== 'boolean') {
			fail('hideCredentials must be "query", true or false')
		}
		verify.hideCredentials = hideCredentials
	}
	if (cost !== undefined) {
		if (!Number.isSafeInteger(cost) || cost < 0) fail('cost must be a non-negative integer')
		verify.cost = cost
	}
	if (host.client !== undefined) verify.client = host.client
	return {
		optional: optional ?? false,
		skip,
		authenticatePreflight: preflight === 'authenticate',
		verify: Object.freeze(verify),
		session: session === undefined ? undefined : resolveSessionOptions(session, 'session options', true),
	}
}

/**
 * Validate the `VerifyOptions` part of an adapter's options once.
 * @deprecated use {@link resolveMiddlewareOptions}, which also resolves `optional`, `skip` and
 * `preflight` and passes the client address lazily; this alias goes in the next release.
 */
export function resolveVerifyOptions(options: Readonly<VerifyOptions>): Readonly<VerifyOptions> {
	if (options.client !== undefined) fail('client is set per request by the adapter, not as an option')
	const keyward = { verify: () => undefined } as unknown as Keyward
	return resolveMiddlewareOptions(keyward, options as MiddlewareOptions<never>, { name: 'adapter' }).verify
}

/** `true` for a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`), which never carries credentials. */
export function isPreflight(req: { method?: string | undefined; headers: Record<string, unknown> }): boolean {
	return req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined
}

/**
 * Where an optional `apiKeyAuth` leaves its `missing` refusal on the request, for a later
 * `requireScopes` to answer with: it carries the keyward's realm, which `checkScopes` (having no
 * keyward) cannot know.
 */
const PASSED_MISSING: unique symbol = Symbol('keyward.passedMissing')

type WithPassedMissing = { [PASSED_MISSING]?: VerifyFailure }

/** Remember on `req` the `missing` refusal of a request an optional `apiKeyAuth` let through. */
export function passMissing(req: object, refusal: VerifyFailure): void {
	;(req as WithPassedMissing)[PASSED_MISSING] = refusal
}

/**
 * The refusal `requireScopes` answers `req` with, or `undefined` when `key` holds every scope:
 * 401 `missing` without a key (with the realm of the keyward that let the request through), 403
 * `insufficient_scope` when a scope is not granted.
 */
export function scopeRefusal(
	req: object,
	key: KeyInfo | undefined,
	scopes: readonly string[],
): VerifyFailure | undefined {
	const result = checkScopes(key, scopes)
	if (result.ok) return undefined
	return result.code === 'missing' ? ((req as WithPassedMissing)[PASSED_MISSING] ?? result) : result
}

/**
 * Send `headers` (a result's RateLimit headers) on a Node response with `res.setHeader`, before
 * anything is written: cheaper than a framework's own setter, which adds nothing for these names.
 */
export function setHeaders(
	res: { setHeader(name: string, value: string): unknown },
	headers: Readonly<Record<string, string>>,
): void {
	for (const name in headers) res.setHeader(name, headers[name] as string)
}

/** The JSON body of a refusal: `{ detail, code }`. */
export function refusalBody(refusal: VerifyFailure): { detail: string; code: string } {
	return { detail: refusal.detail, code: refusal.code }
}
