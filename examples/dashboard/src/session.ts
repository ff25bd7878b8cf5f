import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

/** Name of the demo sign-in cookie. */
export const SESSION_COOKIE = 'dashboard_session'

/** Signs and reads the demo sign-in cookie: `<user>.<expires, unix seconds>.<HMAC-SHA-256>`. */
export interface SessionSigner {
	/** Cookie value for `user`, valid for the signer's `ttlMs`. */
	sign(user: string): string
	/** The user of a cookie value, or `undefined` if it is malformed, forged or expired. */
	read(value: string | undefined): string | undefined
	readonly ttlMs: number
}

/** Options of {@link createSessionSigner}. */
export interface SessionSignerOptions {
	/** HMAC secret, at least 32 bytes. @defaultValue random per process (sign-ins end on restart) */
	secret?: string | Uint8Array | undefined
	/** How long a sign-in lasts. @defaultValue 8 hours */
	ttlMs?: number | undefined
	/** Clock, for tests. @defaultValue Date.now */
	now?: (() => number) | undefined
}

const USER = /^[a-z0-9_-]{1,64}$/

/** A signer of demo session cookies, with HMAC-SHA-256 from node:crypto. */
export function createSessionSigner(options: Readonly<SessionSignerOptions> = {}): SessionSigner {
	const secret = options.secret ?? randomBytes(32)
	if (Buffer.byteLength(secret) < 32) throw new Error('The session secret must be at least 32 bytes')
	const ttlMs = options.ttlMs ?? 8 * 3_600_000
	const now = options.now ?? Date.now
	const mac = (payload: string) => createHmac('sha256', secret).update(payload).digest('base64url')

	return {
		ttlMs,
		sign(user) {
			if (!USER.test(user)) throw new Error('Invalid user id')
			const payload = `${user}.${Math.floor((now() + ttlMs) / 1000)}`
			return `${payload}.${mac(payload)}`
		},
		read(value) {
			const parts = value?.split('.')
			if (parts?.length !== 3) return undefined
			const [user, expires, signature] = parts as [string, string, string]
			const expected = Buffer.from(mac(`${user}.${expires}`))
			const given = Buffer.from(signature)
			if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
			if (!USER.test(user) || !/^\d{1,12}$/.test(expires) || Number(expires) * 1000 <= now()) return undefined
			return user
		},
	}
}

/** The value of cookie `name` in a request's `Cookie` header. */
export function readCookie(headers: IncomingHttpHeaders, name: string): string | undefined {
	for (const pair of (headers.cookie ?? '').split(';')) {
		const at = pair.indexOf('=')
		if (at > 0 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim()
	}
	return undefined
}

/** A `Set-Cookie` value: HttpOnly, SameSite=Strict, path `/`; `maxAgeMs` 0 clears it. */
export function sessionCookie(value: string, maxAgeMs: number, secure: boolean): string {
	const attributes = [
		`${SESSION_COOKIE}=${value}`,
		'Path=/',
		'HttpOnly',
		'SameSite=Strict',
		`Max-Age=${Math.floor(maxAgeMs / 1000)}`,
	]
	if (secure) attributes.push('Secure')
	return attributes.join('; ')
}
