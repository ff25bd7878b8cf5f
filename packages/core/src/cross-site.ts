/**
 * Whether a request that changes state came from a page of another origin. Browsers name the
 * page's origin in `Origin` and tell `Sec-Fetch-Site`; other clients send neither and pass, as
 * they carry no ambient credentials (cookies) of the user. Together with a JSON content type,
 * which a cross-site form or `no-cors` fetch cannot send, this is what stops CSRF.
 */
export interface SameOriginCheck {
	/** The request's headers (Node's `IncomingMessage.headers` fits). */
	readonly headers: Readonly<Record<string, string | string[] | undefined>>
	/** The origin the request was sent to, as the framework sees it: `https://app.example`. */
	readonly origin: string
	/** Other origins whose pages may call, e.g. a front end on its own host. */
	readonly trustedOrigins?: readonly string[] | undefined
}

/** `true` when the request was sent by a page of the same origin, or a trusted one, or by no browser at all. */
export function isSameOriginRequest(check: Readonly<SameOriginCheck>): boolean {
	const { headers, origin } = check
	const from = headers.origin
	if (Array.isArray(from)) return false
	const trusted = from !== undefined && (check.trustedOrigins?.includes(from) ?? false)
	const site = headers['sec-fetch-site']
	if (site !== undefined && site !== 'same-origin' && site !== 'none' && !trusted) return false
	if (from === undefined) return true
	// `null` is the origin of sandboxed frames, data: URLs and some redirects: never this site.
	return from !== 'null' && (from.toLowerCase() === origin.toLowerCase() || trusted)
}
