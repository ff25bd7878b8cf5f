import type { FrameworkBinding } from './framework-binding.js'
import type { Keyward } from './keyward.js'
import { sessionRefusal } from './session-endpoints.js'
import { crossSiteRefusal, isNavigation, type SessionBinding, sameOriginLocation } from './session-http.js'
import {
	clearedSessionCookie,
	type ResolvedSessionOptions,
	sessionCookie,
	sessionTokens,
} from './session-options.js'
import type { NodeRequest, VerifyFailure, VerifyOptions } from './types.js'
import { REJECTIONS } from './wire.js'

/** The session parts of an adapter's `apiKeyAuth`. */
export interface SessionAuthentication<C> {
	/**
	 * A page opened with `?api_key=`: log in, set the cookie and redirect to the URL without the
	 * key (or refuse); resolves to `false`, the request being answered. `undefined` when the request
	 * is not such a navigation, or logging in from the query is off.
	 */
	fromQuery(context: C, req: NodeRequest): Promise<boolean> | undefined
	/**
	 * Authenticate a request that carries no key by its session cookie; `undefined` when it carries
	 * none. `missing` is the refusal of the request without credentials (its realm's challenge).
	 */
	fromCookie(context: C, req: NodeRequest, missing: VerifyFailure): Promise<boolean> | undefined
}

const FALSE = Promise.resolve(false)

/**
 * The session cookie as a credential of `apiKeyAuth`. A key in the request wins over the cookie
 * (the cookie is read only when there is no key at all). Two different session cookies are
 * `ambiguous`. A cookie-authenticated change must pass the same-origin rule first, so a refused
 * cross-site request costs no quota. A 401 also clears the cookie, whose session can never work
 * again (ended, expired, or its key revoked).
 */
export function createSessionAuthentication<C, Skip>(
	keyward: Keyward,
	options: ResolvedSessionOptions,
	binding: FrameworkBinding<C, Skip>,
	session: SessionBinding<C>,
	verify: Readonly<VerifyOptions>,
): SessionAuthentication<C> {
	const { lifetimeMs, fromQuery } = options

	async function logInFromQuery(context: C, req: NodeRequest, location: string): Promise<boolean> {
		const created = await keyward.createSession(req, {
			lifetimeMs,
			client: binding.client(context),
			scopes: verify.scopes,
			hideCredentials: verify.hideCredentials,
		})
		if (created.hide !== undefined) binding.hide(context, created.hide)
		if (!created.ok) {
			binding.refuse(context, created)
			return false
		}
		session.respond(context, {
			status: 303,
			headers: {
				Location: sameOriginLocation(location),
				'Cache-Control': 'no-store',
				'Referrer-Policy': 'no-referrer',
			},
			cookies: [sessionCookie(options, created, session.origin(context))],
			body: undefined,
		})
		return false
	}

	return {
		fromQuery(context, req) {
			if (!fromQuery || req.method !== 'GET' || !isNavigation(req.headers)) return undefined
			const location = session.location(context)
			const stripped = keyward.hideQueryCredentials(location)
			return stripped === location ? undefined : logInFromQuery(context, req, stripped)
		},
		fromCookie(context, req, missing) {
			const tokens = sessionTokens(req.headers, options)
			const [token] = tokens
			if (token === undefined) return undefined
			if (tokens.length > 1) {
				const { detail } = REJECTIONS.ambiguous
				binding.refuse(context, { ...missing, code: 'ambiguous', detail })
				return FALSE
			}
			const origin = session.origin(context)
			const crossSite = crossSiteRefusal(req, origin, options)
			if (crossSite !== undefined) {
				binding.refuse(context, crossSite)
				return FALSE
			}
			return keyward.verifySession(token, { ...verify, client: binding.client(context) }).then((result) => {
				if (result.ok) {
					binding.accept(context, result)
					return true
				}
				if (result.status === 401)
					session.respond(context, sessionRefusal(result, [clearedSessionCookie(options, origin)]))
				else binding.refuse(context, result)
				return false
			})
		},
	}
}
