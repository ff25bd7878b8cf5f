import { KeywardError } from './errors.js'
import { BODY_LENGTH } from './key-format.js'

/**
 * Body characters a keyward key's hint shows: 4 × log2(62) ≈ 23.8 of its 178.6 random bits, so
 * about 155 bits stay secret, while 62^4 ≈ 14.8 million hints tell an owner's keys apart.
 */
export const HINT_BODY_LENGTH = 4
/** Most characters of a legacy key's hint; it never shows more than a quarter of the key either. */
export const LEGACY_HINT_LENGTH = 8
/** Longest hint given with a hash import. */
export const MAX_GIVEN_HINT_LENGTH = 16

/** What a hint may hold: printable ASCII without spaces (prefix, environment and body of the longest keyward key fit). */
const HINT_LIKE = /^[\x21-\x7e]{1,40}$/
/** What a hint given with a hash import may hold: the characters of hex, base64(url) and base62 keys. */
const GIVEN_HINT = new RegExp(`^[0-9A-Za-z_.~+/=-]{1,${MAX_GIVEN_HINT_LENGTH}}$`)

/** The hint of a well-formed keyward key: everything up to the first 4 characters of its body. */
export function keywardKeyHint(key: string): string {
	return key.slice(0, key.length - BODY_LENGTH + HINT_BODY_LENGTH)
}

/**
 * The hint of a key of a legacy format: its first `length` characters (8, as Tiled shows), but
 * never more than a quarter of the key.
 */
export function legacyKeyHint(key: string, length = LEGACY_HINT_LENGTH): string {
	return key.slice(0, Math.min(length, Math.floor(key.length / 4)))
}

/**
 * Validate the hint given with a hash import: `null` when absent, else 1-16 letters, digits or
 * `_ . ~ + / = -`. Throws `KeywardError('invalid_argument')` with a fixed message.
 */
export function checkGivenHint(value: unknown): string | null {
	if (value === undefined || value === null) return null
	if (typeof value !== 'string' || !GIVEN_HINT.test(value)) {
		throw new KeywardError(
			'invalid_argument',
			`hint must be 1-${MAX_GIVEN_HINT_LENGTH} letters, digits or _ . ~ + / = - (the first characters of the key)`,
		)
	}
	return value
}

/**
 * The hint `text` names, when it can name one: as stored, or followed by `…` as the CLI's listings
 * print it (the rest of the key is hidden); `undefined` otherwise.
 */
export function hintOf(text: string): string | undefined {
	const hint = text.endsWith('…') ? text.slice(0, -1) : text
	return HINT_LIKE.test(hint) ? hint : undefined
}
