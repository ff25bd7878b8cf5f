import type { IncomingMessage } from 'node:http'
import { isSameOriginRequest } from './cross-site.js'
import { isJsonMediaType, mediaTypeOf } from './request-body.js'
import type { ResolvedSessionOptions } from './session-options.js'
import type { NodeRequest, VerifyFailure } from './types.js'
import { REJECTIONS } from './wire.js'

/** An answer of the session machinery, for a binding to write. */
export interface SessionAnswer {
	readonly status: number
	readonly headers: Readonly<Record<string, string>>
	/** `Set-Cookie` values, appended to any the application set. */
	readonly cookies: readonly string[]
	/** The JSON body; `undefined`: none. */
	readonly body: unknown
}

/**
 * What core needs of a framework for sessions: `sessionLogin`, `sessionLogout`, and the session
 * cookie in `apiKeyAuth`. `C` is what the framework hands a middleware (Express `req`, Koa `ctx`).
 */
export interface SessionBinding<C> {
	/** The Node request of `context` (its body is read from it when no parser left one). */
	request(context: C): IncomingMessage
	/** The client address, honouring the framework's trust-proxy setting. */
	client(context: C): string | undefined
	/** The origin the request was sent to, `<protocol>://<host>`, honouring trust-proxy settings. */
	origin(context: C): string
	/** The URL as the client asked for it, path and query (Express `req.originalUrl`, Koa `ctx.originalUrl`). */
	location(context: C): string
	/** The body a parser of the application left (Express `req.body`, Koa `ctx.request.body`), else `undefined`. */
	body(context: C): unknown
	/** Write `answer`: status, headers, cookies (appended), and the JSON body if any. */
	respond(context: C, answer: SessionAnswer): void
}

/** The refusal of a cookie-authenticated change that may come from a page of another origin. */
export const CROSS_ORIGIN: VerifyFailure = Object.freeze({
	ok: false,
	status: 403,
	code: 'cross_origin',
	detail: REJECTIONS.cross_origin.detail,
	headers: Object.freeze({}),
})

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Why a request authenticated by the session cookie is refused before its session is looked up,
 * if it is (CSRF). A request that changes state (not GET, HEAD or OPTIONS) must come from a page of
 * this origin or a trusted one (`Origin`, `Sec-Fetch-Site`), and a `POST` must also be JSON or
 * carry the `csrfHeader`: a page of another site can send neither without a CORS preflight.
 */
export function crossSiteRefusal(
	req: NodeRequest,
	origin: string,
	options: ResolvedSessionOptions,
): VerifyFailure | undefined {
	const method = req.method ?? 'GET'
	if (SAFE_METHODS.has(method)) return undefined
	const headers = req.headers
	if (!isSameOriginRequest({ headers, origin, trustedOrigins: options.trustedOrigins })) return CROSS_ORIGIN
	if (method === 'POST' && !isJsonMediaType(mediaTypeOf(req)) && headers[options.csrfHeader] === undefined)
		return CROSS_ORIGIN
	return undefined
}

/**
 * `true` when a request looks like a browser opening a page: `Sec-Fetch-Mode: navigate`, or, from
 * a browser that does not send it, an `Accept` that asks for HTML. Scripts and `fetch` are not.
 */
export function isNavigation(headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
	const mode = headers['sec-fetch-mode']
	if (mode !== undefined) return mode === 'navigate'
	const accept = headers.accept
	return typeof accept === 'string' && accept.includes('text/html')
}

/**
 * A `Location` on this origin for a URL the client asked for. A request target such as
 * `//evil.example/x` would otherwise become a protocol-relative redirect to another site (browsers
 * also drop tabs and line breaks from URLs, and read `\` as `/`), and an absolute-form target
 * names a host the client chose: each keeps only its path and query.
 */
export function sameOriginLocation(url: string): string {
	let path = url.replace(/[\t\n\r]/g, '')
	if (/^https?:\/\//i.test(path)) {
		try {
			const parsed = new URL(path)
			path = parsed.pathname + parsed.search
		} catch {
			// Not a URL after all: treated as a path below.
		}
	}
	return `/${path.replace(/^[/\\]+/, '')}`
}
