import type { Keyward } from '@keyward/core'
import { createSessionLogin, createSessionLogout, type SessionCookieOptions } from '@keyward/core/adapter'
import type { Middleware } from 'koa'
import { koaSessions } from './api-key-auth.js'

/**
 * Options of {@link sessionLogin} and {@link sessionLogout}: the cookie's `cookie` name
 * (`'kw_session'`), `path` (`'/'`), `sameSite` (`'lax'`), `lifetimeMs` (8 hours), and the
 * `trustedOrigins` whose pages may log in and out besides this one. Give `apiKeyAuth`'s `session`
 * option the same `cookie` and `path`.
 */
export interface SessionHandlerOptions extends SessionCookieOptions {}

/**
 * Login with an API key, for a `POST` route: a form or JSON body with `api_key` and, optionally,
 * `username` (which must be the key's owner). Answers 200 with the session cookie (`HttpOnly`,
 * `SameSite`, `Secure` unless served over plain HTTP on localhost, a `Max-Age` that never outlives
 * the key) and `{ keyId, owner, scopes, expiresAt }`, or the refusal a request with that key would
 * get; a wrong `username` gets exactly the refusal of an unknown key. Logins from pages of another
 * origin are refused (`403 cross_origin`); other methods get 405. Each login is audited
 * (`session.created`, "API key login") and failed ones count for the keyward's `failureLimit`. A
 * body parser is optional (`ctx.request.body` is used when set); without one at most 8 KiB is read.
 * @param keyward - the keyward whose keys log in
 * @param options - see {@link SessionHandlerOptions}
 * @example
 * router.post('/login', sessionLogin(keyward))
 * router.get('/reports', apiKeyAuth(keyward, { session: {} }), listReports)
 */
export function sessionLogin(keyward: Keyward, options: Readonly<SessionHandlerOptions> = {}): Middleware {
	return createSessionLogin(keyward, options, koaSessions)
}

/**
 * Logout, for a `POST` route: the session of the request's cookie ends on the server, on every
 * instance (a copy of the cookie is refused from then on); the cookie is cleared; the answer is
 * `{ ended }`. Pages of another origin are refused (`403 cross_origin`).
 * @example router.post('/logout', sessionLogout(keyward))
 */
export function sessionLogout(keyward: Keyward, options: Readonly<SessionHandlerOptions> = {}): Middleware {
	return createSessionLogout(keyward, options, koaSessions)
}
