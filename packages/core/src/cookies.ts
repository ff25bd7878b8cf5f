/**
 * Cookies as HTTP carries them (RFC 6265): reading one from a `Cookie` header, writing a
 * `Set-Cookie` value. Framework-free, so both adapters share it.
 */

/** A cookie name: an HTTP token. */
export const COOKIE_NAME_PATTERN: RegExp = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** A cookie value: cookie-octets only (no spaces, quotes, commas, semicolons or backslashes). */
const COOKIE_VALUE = /^[!#-+\--:<-[\]-~]*$/
/** A cookie path: printable ASCII without `;`, starting with `/`. */
export const COOKIE_PATH_PATTERN: RegExp = /^\/[!-:<-~]*$/

/**
 * Every value of cookie `name` in a `Cookie` header (Node's `req.headers.cookie`), in the order
 * sent; `[]` when there is none. Names match exactly (case-sensitive), spaces around pairs are
 * ignored, a value in double quotes loses them, and pairs without `=` are skipped. Never throws.
 * @example cookieValues('theme=dark; kw_session=kws_abc', 'kw_session') // ['kws_abc']
 */
export function cookieValues(header: string | readonly string[] | undefined, name: string): string[] {
	if (header === undefined) return []
	const text = typeof header === 'string' ? header : header.join(';')
	const found: string[] = []
	if (!text.includes(name)) return found
	for (const pair of text.split(';')) {
		const eq = pair.indexOf('=')
		if (eq === -1 || pair.slice(0, eq).trim() !== name) continue
		let value = pair.slice(eq + 1).trim()
		if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
		found.push(value)
	}
	return found
}

/** What a `Set-Cookie` value says (always `HttpOnly`: keyward's cookies are for the server alone). */
export interface SetCookie {
	readonly name: string
	/** Cookie-octets only; `''` with `maxAgeSec` 0 clears the cookie. */
	readonly value: string
	readonly path: string
	/** Seconds until the browser drops it; 0 drops it at once. */
	readonly maxAgeSec: number
	readonly secure: boolean
	readonly sameSite: 'Lax' | 'Strict'
}

/**
 * A `Set-Cookie` header value: `name=value; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure`.
 * Throws a `TypeError` for a name, value or path that a header cannot carry as they are.
 */
export function serializeCookie(cookie: Readonly<SetCookie>): string {
	const { name, value, path, maxAgeSec } = cookie
	if (!COOKIE_NAME_PATTERN.test(name)) throw new TypeError('Invalid cookie name')
	if (!COOKIE_VALUE.test(value)) throw new TypeError('Invalid cookie value')
	if (!COOKIE_PATH_PATTERN.test(path)) throw new TypeError('Invalid cookie path')
	if (!Number.isSafeInteger(maxAgeSec) || maxAgeSec < 0) throw new TypeError('Invalid cookie max-age')
	const attributes = [`${name}=${value}`, `Path=${path}`, `Max-Age=${maxAgeSec}`, 'HttpOnly']
	attributes.push(`SameSite=${cookie.sameSite}`)
	if (cookie.secure) attributes.push('Secure')
	return attributes.join('; ')
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * `true` for an origin served over plain HTTP on this machine (`http://localhost:3000`,
 * `http://127.0.0.1`, `http://[::1]:8080`): the only place a cookie may go without `Secure`,
 * since browsers keep no `Secure` cookie set over plain HTTP.
 */
export function isLocalPlainHttp(origin: string): boolean {
	try {
		const url = new URL(origin)
		return url.protocol === 'http:' && LOOPBACK.has(url.hostname)
	} catch {
		return false
	}
}
