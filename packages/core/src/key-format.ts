import { randomBytes } from 'node:crypto'
import { crc32 } from 'node:zlib'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
/** Random base62 characters in a key body: 30 × log2(62) ≈ 178.6 bits. */
export const RANDOM_LENGTH = 30
/** Base62 characters of the CRC32 checksum (62^6 > 2^32). */
export const CHECKSUM_LENGTH = 6
/** Length of the body after `<prefix>_[<environment>_]`. */
export const BODY_LENGTH = RANDOM_LENGTH + CHECKSUM_LENGTH
/** Length of a public key id. */
export const ID_LENGTH = 12

/** Prefixes and environment markers: lowercase letters and digits, starting with a letter. */
export const LABEL_PATTERN: RegExp = /^[a-z][a-z0-9]{0,15}$/

/** Longest key text worth looking at; anything longer is refused before parsing. */
export const MAX_KEY_LENGTH = 16 + 1 + 16 + 1 + BODY_LENGTH

/**
 * Regex that matches keyward keys with the given prefix, for secret scanners.
 * Default: `\bkw_(?:[a-z][a-z0-9]{0,15}_)?[0-9A-Za-z]{36}\b`.
 * @example keyPattern('kw').test(text)
 */
export function keyPattern(prefix = 'kw', flags = ''): RegExp {
	return new RegExp(`\\b${prefix}_(?:[a-z][a-z0-9]{0,15}_)?[0-9A-Za-z]{${BODY_LENGTH}}\\b`, flags)
}

/** Uniform random base62 string (rejection sampling: no modulo bias). */
export function randomBase62(length: number): string {
	let out = ''
	while (out.length < length) {
		const bytes = randomBytes(length * 2)
		for (let i = 0; i < bytes.length && out.length < length; i++) {
			const b = bytes[i] as number
			if (b < 248) out += ALPHABET[b % 62]
		}
	}
	return out
}

function checksum(text: string): string {
	let n = crc32(text)
	let out = ''
	for (let i = 0; i < CHECKSUM_LENGTH; i++) {
		out = ALPHABET[n % 62] + out
		n = Math.floor(n / 62)
	}
	return out
}

/** Parts of a well-formed key. */
export interface ParsedKey {
	prefix: string
	/** Environment marker (`live`, `test`...) or `null` when the key has none. */
	environment: string | null
	body: string
}

/**
 * Generate a new key `<prefix>_[<environment>_]<30 random base62><6 base62 CRC32>`.
 * The checksum covers everything before it, so a changed prefix or environment fails it too.
 */
export function generateKey(prefix = 'kw', environment?: string | null): string {
	const head = environment ? `${prefix}_${environment}_` : `${prefix}_`
	const text = head + randomBase62(RANDOM_LENGTH)
	return text + checksum(text)
}

/** A new public key id: 12 base62 characters (~71 bits), unrelated to the key text. */
export function generateId(): string {
	return randomBase62(ID_LENGTH)
}

function isBase62(code: number): boolean {
	return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122)
}

/**
 * Parse and checksum-validate a key without any store access. Returns `null` for anything that
 * is not a well-formed key with the expected prefix (never throws).
 * @example parseKey('kw_live_...', 'kw')?.environment // 'live'
 */
export function parseKey(key: unknown, prefix = 'kw'): ParsedKey | null {
	if (typeof key !== 'string' || key.length > MAX_KEY_LENGTH) return null
	const bodyStart = key.length - BODY_LENGTH
	if (bodyStart < prefix.length + 1 || !key.startsWith(prefix) || key.charCodeAt(prefix.length) !== 95)
		return null
	if (key.charCodeAt(bodyStart - 1) !== 95) return null
	for (let i = bodyStart; i < key.length; i++) if (!isBase62(key.charCodeAt(i))) return null
	let environment: string | null = null
	if (bodyStart - 1 > prefix.length) {
		environment = key.slice(prefix.length + 1, bodyStart - 1)
		if (!LABEL_PATTERN.test(environment)) return null
	}
	const text = key.slice(0, key.length - CHECKSUM_LENGTH)
	if (checksum(text) !== key.slice(key.length - CHECKSUM_LENGTH)) return null
	return { prefix, environment, body: key.slice(bodyStart) }
}
