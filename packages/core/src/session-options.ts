import {
	COOKIE_NAME_PATTERN,
	COOKIE_PATH_PATTERN,
	cookieValues,
	isLocalPlainHttp,
	serializeCookie,
} from './cookies.js'
import { KeywardError } from './errors.js'
import { rejectUnknownOptions } from './options.js'
import { DEFAULT_SESSION_LIFETIME_MS } from './session-lifecycle.js'
import type { CreatedSession } from './session-types.js'

/**
 * The session cookie, as `sessionLogin`, `sessionLogout` and `apiKeyAuth`'s `session` option of the
 * adapters set and read it. Give all three the same `cookie` and `path`.
 */
export interface SessionCookieOptions {
	/** Name of the cookie. @defaultValue 'kw_session' */
	cookie?: string | undefined
	/** `Path` of the cookie: where the browser sends it. @defaultValue '/' */
	path?: string | undefined
	/**
	 * `SameSite` of the cookie. `'lax'` lets a link from another site that opens a page carry the
	 * cookie on that top-level navigation (which the `?api_key=` flow needs, since the redirect it
	 * answers with belongs to that navigation); a cross-site POST, frame or fetch never carries it.
	 * `'strict'` sends it only from pages of this site. @defaultValue 'lax'
	 */
	sameSite?: 'lax' | 'strict' | undefined
	/**
	 * How long a login lasts; never past the key's expiry nor the keyward's `sessions.maxLifetimeMs`.
	 * @defaultValue 8 hours
	 */
	lifetimeMs?: number | undefined
	/**
	 * Origins, besides the request's own, whose pages may log in, log out and send
	 * cookie-authenticated changes: `['https://app.example']`. @defaultValue []
	 */
	trustedOrigins?: readonly string[] | undefined
}

/** The `session` option of an adapter's `apiKeyAuth`: the session cookie as a credential. */
export interface SessionAuthOptions extends SessionCookieOptions {
	/**
	 * Header that marks a cookie-authenticated `POST` whose body is not JSON as sent by a page of an
	 * allowed origin (a page of another site cannot send a custom header without a CORS preflight).
	 * @defaultValue 'x-requested-with'
	 */
	csrfHeader?: string | undefined
	/**
	 * Log in from the query: a page opened with `?api_key=<key>` (a top-level browser navigation)
	 * starts a session, sets the cookie and is redirected (303) to the same URL without the key, so
	 * the key leaves the address bar and history. A bad key gets the usual refusal, never a
	 * redirect. Requests other than navigations (scripts, `fetch`) are authenticated by the key as
	 * usual. @defaultValue false
	 */
	fromQuery?: boolean | undefined
}

/** {@link SessionAuthOptions} after validation. */
export interface ResolvedSessionOptions {
	readonly cookie: string
	readonly path: string
	readonly sameSite: 'Lax' | 'Strict'
	readonly lifetimeMs: number
	readonly trustedOrigins: readonly string[]
	readonly csrfHeader: string
	readonly fromQuery: boolean
}

const COOKIE_OPTIONS = ['cookie', 'path', 'sameSite', 'lifetimeMs', 'trustedOrigins']
const ORIGIN = /^https?:\/\/[^/\s?#]+$/
const HEADER = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** Browsers keep a cookie at most 400 days. */
const MAX_COOKIE_LIFETIME_MS = 400 * 86_400_000

function fail(message: string): never {
	throw new KeywardError('invalid_option', message)
}

/**
 * Validate session options once, at start-up (`KeywardError('invalid_option')`, with "did you
 * mean" for unknown names). `auth` also accepts the options only `apiKeyAuth` takes.
 */
export function resolveSessionOptions(
	options: Readonly<SessionAuthOptions>,
	where: string,
	auth: boolean,
): ResolvedSessionOptions {
	if (typeof options !== 'object' || options === null) fail(`${where} must be an object`)
	rejectUnknownOptions(options, auth ? [...COOKIE_OPTIONS, 'csrfHeader', 'fromQuery'] : COOKIE_OPTIONS, where)
	const {
		cookie = 'kw_session',
		path = '/',
		sameSite = 'lax',
		lifetimeMs = DEFAULT_SESSION_LIFETIME_MS,
	} = options
	const { trustedOrigins = [], csrfHeader = 'x-requested-with', fromQuery = false } = options
	if (typeof cookie !== 'string' || !COOKIE_NAME_PATTERN.test(cookie))
		fail('cookie must be a cookie name (an HTTP token)')
	if (typeof path !== 'string' || !COOKIE_PATH_PATTERN.test(path))
		fail('path must start with "/" and hold no ";" or spaces')
	if (sameSite !== 'lax' && sameSite !== 'strict') fail('sameSite must be "lax" or "strict"')
	if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs < 1000 || lifetimeMs > MAX_COOKIE_LIFETIME_MS)
		fail('lifetimeMs must be an integer from 1000 to 400 days')
	if (!Array.isArray(trustedOrigins) || !trustedOrigins.every((o) => typeof o === 'string' && ORIGIN.test(o)))
		fail('trustedOrigins must be origins such as "https://app.example"')
	if (typeof csrfHeader !== 'string' || !HEADER.test(csrfHeader)) fail('csrfHeader must be a header name')
	if (typeof fromQuery !== 'boolean') fail('fromQuery must be true or false')
	return Object.freeze({
		cookie,
		path,
		sameSite: sameSite === 'lax' ? 'Lax' : 'Strict',
		lifetimeMs,
		trustedOrigins: Object.freeze([...trustedOrigins]),
		csrfHeader: csrfHeader.toLowerCase(),
		fromQuery,
	})
}

/**
 * The `Set-Cookie` value of a new session: `HttpOnly`, `SameSite`, the path, a `Max-Age` that
 * ends with the session (never after its key), and `Secure` unless the request came over plain
 * HTTP to this machine (`origin` is the request's own).
 */
export function sessionCookie(
	options: ResolvedSessionOptions,
	created: CreatedSession,
	origin: string,
): string {
	const { createdAt, expiresAt } = created.session
	return serializeCookie({
		name: options.cookie,
		value: created.token,
		path: options.path,
		maxAgeSec: Math.max(0, Math.floor((expiresAt.getTime() - createdAt.getTime()) / 1000)),
		secure: !isLocalPlainHttp(origin),
		sameSite: options.sameSite,
	})
}

/** The `Set-Cookie` value that removes the session cookie from the browser. */
export function clearedSessionCookie(options: ResolvedSessionOptions, origin: string): string {
	return serializeCookie({
		name: options.cookie,
		value: '',
		path: options.path,
		maxAgeSec: 0,
		secure: !isLocalPlainHttp(origin),
		sameSite: options.sameSite,
	})
}

/** The distinct, non-empty values of the session cookie a request carries (more than one: ambiguous). */
export function sessionTokens(
	headers: Readonly<Record<string, string | string[] | undefined>>,
	options: ResolvedSessionOptions,
): string[] {
	const values = cookieValues(headers.cookie, options.cookie).filter((value) => value !== '')
	return values.length <= 1 ? values : [...new Set(values)]
}
