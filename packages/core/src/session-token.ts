import { CHECKSUM_LENGTH, checksum, randomBase62 } from './key-format.js'

/** Random base62 characters of a session token: 32 × log2(62) ≈ 190 bits. */
const SESSION_RANDOM_LENGTH = 32
/** Length of a token after its `<prefix>s_` head. */
const SESSION_BODY_LENGTH = SESSION_RANDOM_LENGTH + CHECKSUM_LENGTH
const BASE62 = /^[0-9A-Za-z]+$/

/** The head of the session tokens of a keyward with key prefix `prefix`: `kws_`. */
function head(prefix: string): string {
	return `${prefix}s_`
}

/**
 * A new session token: `<prefix>s_<32 random base62><6 base62 CRC32>` (`kws_...`). It shares the
 * key format's alphabet and checksum, so a mistyped or made-up token is refused without a store
 * lookup, but never looks like a key: key patterns need `<prefix>_` and a 36-character body.
 * It is random and carries nothing else: no key text, no owner, no expiry.
 */
export function generateSessionToken(prefix: string): string {
	const text = head(prefix) + randomBase62(SESSION_RANDOM_LENGTH)
	return text + checksum(text)
}

/** `true` when `token` is a well-formed, checksum-valid session token of a keyward with `prefix`. */
export function isSessionToken(token: unknown, prefix: string): token is string {
	if (typeof token !== 'string') return false
	const start = head(prefix)
	if (token.length !== start.length + SESSION_BODY_LENGTH || !token.startsWith(start)) return false
	if (!BASE62.test(token.slice(start.length))) return false
	const end = token.length - CHECKSUM_LENGTH
	return checksum(token.slice(0, end)) === token.slice(end)
}

/**
 * Regex matching the session tokens of a keyward with key prefix `prefix`, for log scrubbers.
 * Default: `\bkws_[0-9A-Za-z]{38}\b`.
 */
export function sessionTokenPattern(prefix = 'kw', flags = ''): RegExp {
	return new RegExp(`\\b${head(prefix)}[0-9A-Za-z]{${SESSION_BODY_LENGTH}}\\b`, flags)
}
