import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

/** Name of the demo sign-in cookie. */
export const SESSION_COOKIE = 'dashboard_session'

/**
 * Signs, reads and ends demo sign-ins. A cookie is
 * `<user>.<expires, unix seconds>.<session id>.<HMAC-SHA-256>`, and the server keeps every session
 * id it handed out until that sign-in ends or expires.
 *
 * Why a list of live sessions rather than a list of signed-out cookies: sign-out must work on the
 * server, since a copy of the cookie (taken before the browser dropped it) would otherwise stay
 * valid for hours. A revocation list would have to hold every signed-out cookie until it expires,
 * and forgetting one, to stay within a memory bound or on a restart, would bring it back to life.
 * With a list of live sessions, forgetting one only signs someone out: a restart ends every
 * sign-in, and when {@link SessionSignerOptions.maxSessions} are live the oldest one ends. The HMAC
 * stays so that forged or edited cookies are refused before any lookup.
 */
export interface SessionSigner {
	/** Starts a sign-in for `user` with a new random session id; the cookie value, valid for `ttlMs`. */
	sign(user: string): string
	/** The user of a cookie value, or `undefined` if it is malformed, forged, expired or ended. */
	read(value: string | undefined): string | undefined
	/** Ends the sign-in of a cookie value (sign-out); other sign-ins of the same user go on. */
	end(value: string | undefined): void
	readonly ttlMs: number
	/** Sessions kept in memory (expired ones are dropped at the next sign-in). */
	readonly size: number
}

/** Options of {@link createSessionSigner}. */
export interface SessionSignerOptions {
	/** HMAC secret, at least 32 bytes. @defaultValue random per process */
	secret?: string | Uint8Array | undefined
	/** How long a sign-in lasts. @defaultValue 8 hours */
	ttlMs?: number | undefined
	/** Most sessions kept at once; a sign-in beyond it ends the oldest session. @defaultValue 10,000 */
	maxSessions?: number | undefined
	/** Clock, for tests. @defaultValue Date.now */
	now?: (() => number) | undefined
}

const USER = /^[a-z0-9_-]{1,64}$/

/** A signer of demo session cookies, with HMAC-SHA-256 from node:crypto and sessions kept in memory. */
export function createSessionSigner(options: Readonly<SessionSignerOptions> = {}): SessionSigner {
	const secret = options.secret ?? randomBytes(32)
	if (Buffer.byteLength(secret) < 32) throw new Error('The session secret must be at least 32 bytes')
	const ttlMs = options.ttlMs ?? 8 * 3_600_000
	const maxSessions = options.maxSessions ?? 10_000
	if (!Number.isSafeInteger(maxSessions) || maxSessions < 1)
		throw new Error('maxSessions must be a positive integer')
	const now = options.now ?? Date.now
	const mac = (payload: string) => createHmac('sha256', secret).update(payload).digest('base64url')
	// Session id -> its user and expiry (ms). A Map iterates in sign-in order, which with a single
	// ttl is also expiry order: the expired and the oldest sessions are at the front.
	const sessions = new Map<string, { user: string; expiresMs: number }>()

	/** The user and session id of a genuine, unexpired cookie value (whether or not it was ended). */
	function verify(value: string | undefined): { user: string; id: string } | undefined {
		const parts = value?.split('.')
		if (parts?.length !== 4) return undefined
		const [user, expires, id, signature] = parts as [string, string, string, string]
		const expected = Buffer.from(mac(`${user}.${expires}.${id}`))
		const given = Buffer.from(signature)
		if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
		if (!USER.test(user) || !/^\d{1,12}$/.test(expires) || Number(expires) * 1000 <= now()) return undefined
		return { user, id }
	}

	/** The user and id of the live session a cookie value belongs to. */
	function live(value: string | undefined): { user: string; id: string } | undefined {
		const claim = verify(value)
		return claim !== undefined && sessions.get(claim.id)?.user === claim.user ? claim : undefined
	}

	return {
		ttlMs,
		get size() {
			return sessions.size
		},
		sign(user) {
			if (!USER.test(user)) throw new Error('Invalid user id')
			const time = now()
			// Drop the expired sessions, then, if still full, the oldest live one.
			for (const [id, session] of sessions) {
				if (session.expiresMs > time && sessions.size < maxSessions) break
				sessions.delete(id)
			}
			const id = randomBytes(16).toString('base64url')
			const expires = Math.floor((time + ttlMs) / 1000)
			sessions.set(id, { user, expiresMs: expires * 1000 })
			const payload = `${user}.${expires}.${id}`
			return `${payload}.${mac(payload)}`
		},
		read(value) {
			return live(value)?.user
		},
		end(value) {
			const session = live(value)
			if (session !== undefined) sessions.delete(session.id)
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
