import type { Keyward } from '@keyward/core'
import { createSessionLogin, createSessionLogout, type SessionCookieOptions } from '@keyward/core/adapter'
import type { RequestHandler } from 'express'
import { expressSessions } from './api-key-auth.js'

/**
 * Options of {@link sessionLogin} and {@link sessionLogout}: the cookie's `cookie` name
 * (`'kw_session'`), `path` (`'/'`), `sameSite` (`'lax'`), `lifetimeMs` (8 hours), and the
 * `trustedOrigins` whose pages may log in and out besides this one. Give `apiKeyAuth`'s `session`
 * option the same `cookie` and `path`.
 */
export interface SessionHandlerOptions extends SessionCookieOptions {}

/**
 * `POST` login with an API key: a form (`application/x-www-form-urlencoded`) or JSON with `api_key`
 * and, optionally, `username` (which must be the key's owner). Answers 200 with the session cookie
 * (`HttpOnly`, `SameSite`, `Secure` unless served over plain HTTP on localhost, a `Max-Age` that
 * never outlives the key) and `{ keyId, owner, scopes, expiresAt }`, or the refusal a request with
 * that key would get; a wrong `username` gets exactly the refusal of an unknown key. A login from a
 * page of another origin is refused (`403 cross_origin`). The login is audited (`session.created`,
 * "API key login") and failed logins count for the keyward's `failureLimit`. A body parser is
 * optional: without one, at most 8 KiB is read.
 * @param keyward - the keyward whose keys log in
 * @param options - see {@link SessionHandlerOptions}
 * @example
 * app.post('/login', sessionLogin(keyward))
 * app.use('/api', apiKeyAuth(keyward, { session: {} }))
 */
export function sessionLogin(
	keyward: Keyward,
	options: Readonly<SessionHandlerOptions> = {},
): RequestHandler {
	return createSessionLogin(keyward, options, expressSessions)
}

/**
 * `POST` logout: ends the session of the request's cookie on the server, on every instance (a copy
 * of the cookie is refused from then on), clears the cookie, and answers `{ ended }`. Refused from
 * pages of another origin (`403 cross_origin`).
 * @example app.post('/logout', sessionLogout(keyward))
 */
export function sessionLogout(
	keyward: Keyward,
	options: Readonly<SessionHandlerOptions> = {},
): RequestHandler {
	return createSessionLogout(keyward, options, expressSessions)
}
