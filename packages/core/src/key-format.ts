import { randomBytes } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { KeywardError } from './errors.js'

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
 * Regex syntaxes {@link keyPatternSource} writes:
 * - `'js'`: JavaScript, RE2 (gitleaks, Go), PCRE, Python: `\b` boundaries, a `(?:...)` group.
 * - `'posix'`: POSIX extended (`grep -E`, `git grep -E`, any ERE engine): no `\b`, `(?:` or `\d`;
 *   the boundaries are written out as `(^|[^0-9A-Za-z_])` and `([^0-9A-Za-z_]|$)`, so a match
 *   includes the character on each side of the key, if any.
 * - `'posix-word'`: POSIX extended without boundaries, for tools that match whole words themselves
 *   (`grep -Ew`, git-secrets, which runs `git grep -w`); on its own it also matches inside longer
 *   words.
 */
export type KeyPatternFlavor = 'js' | 'posix' | 'posix-word'

const ENVIRONMENT_PART = '[a-z][a-z0-9]{0,15}_'
const BODY_PART = `[0-9A-Za-z]{${BODY_LENGTH}}`
/** Characters a key never touches on either side: whatever `\b` counts as a word character. */
const NOT_WORD = '[^0-9A-Za-z_]'

/**
 * The source text of a regex matching keyward keys with the given prefix, in the syntax a secret
 * scanner accepts (`options.flavor`, `'js'` by default). A match is a candidate: `parseKey(text, prefix) !== null` (the checksum)
 * confirms it. For `kw`:
 * - `'js'`: `\bkw_(?:[a-z][a-z0-9]{0,15}_)?[0-9A-Za-z]{36}\b`
 * - `'posix'`: `(^|[^0-9A-Za-z_])kw_([a-z][a-z0-9]{0,15}_)?[0-9A-Za-z]{36}([^0-9A-Za-z_]|$)`
 * - `'posix-word'`: `kw_([a-z][a-z0-9]{0,15}_)?[0-9A-Za-z]{36}`
 * @throws `KeywardError('invalid_argument')` for a prefix keyward would refuse, or an unknown flavor
 * @example execFileSync('grep', ['-E', keyPatternSource('acme', { flavor: 'posix' }), 'app.log'])
 */
export function keyPatternSource(
	prefix = 'kw',
	options: Readonly<{ flavor?: KeyPatternFlavor | undefined }> = {},
): string {
	const flavor = options.flavor ?? 'js'
	if (!LABEL_PATTERN.test(prefix)) {
		throw new KeywardError(
			'invalid_argument',
			'prefix must be 1-16 lowercase letters or digits, starting with a letter',
		)
	}
	switch (flavor) {
		case 'js':
			return `\\b${prefix}_(?:${ENVIRONMENT_PART})?${BODY_PART}\\b`
		case 'posix':
			return `(^|${NOT_WORD})${prefix}_(${ENVIRONMENT_PART})?${BODY_PART}(${NOT_WORD}|$)`
		case 'posix-word':
			return `${prefix}_(${ENVIRONMENT_PART})?${BODY_PART}`
		default:
			throw new KeywardError('invalid_argument', 'flavor must be "js", "posix" or "posix-word"')
	}
}

/**
 * Regex that matches keyward keys with the given prefix, for secret scanners.
 * Default: `\bkw_(?:[a-z][a-z0-9]{0,15}_)?[0-9A-Za-z]{36}\b`. For engines without `\b` or
 * `(?:`, see {@link keyPatternSource}.
 * @example keyPattern('kw').test(text)
 */
export function keyPattern(prefix = 'kw', flags = ''): RegExp {
	return new RegExp(`\\b${prefix}_(?:${ENVIRONMENT_PART})?${BODY_PART}\\b`, flags)
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

/** The CRC32 of `text` (as zlib hashes it, UTF-8) in {@link CHECKSUM_LENGTH} base62 characters. */
export function checksum(text: string): string {
	let n = crc32(text)
	let out = ''
	for (let i = 0; i < CHECKSUM_LENGTH; i++) {
		out = ALPHABET[n % 62] + out
		n = Math.floor(n / 62)
	}
	return out
}

/** CRC-32 (IEEE, as zlib) lookup table, built once. */
const CRC_TABLE = (() => {
	const table = new Int32Array(256)
	for (let n = 0; n < 256; n++) {
		let c = n
		for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
		table[n] = c
	}
	return table
})()

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

/** Value of each ASCII base62 digit, -1 for every other ASCII character. */
const BASE62_VALUE = (() => {
	const table = new Int8Array(128).fill(-1)
	for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i
	return table
})()

function base62Value(code: number): number {
	return code < 128 ? (BASE62_VALUE[code] as number) : -1
}

/** One CRC-32 step (IEEE, as zlib) over an ASCII character. */
function crcStep(c: number, code: number): number {
	return (CRC_TABLE[(c ^ code) & 0xff] as number) ^ (c >>> 8)
}

/**
 * The environment marker of a well-formed key (`null` when it has none), or `false` when `key` is
 * not a well-formed, checksum-valid key with this prefix. The allocation-free core of
 * {@link parseKey}, run on every verification: one pass checks the characters and computes the
 * CRC-32 that a native call would need a substring for.
 */
export function keyEnvironment(key: unknown, prefix: string): string | null | false {
	if (typeof key !== 'string' || key.length > MAX_KEY_LENGTH) return false
	const length = key.length
	const bodyStart = length - BODY_LENGTH
	const end = length - CHECKSUM_LENGTH
	if (bodyStart < prefix.length + 1 || key.charCodeAt(prefix.length) !== 95 || !key.startsWith(prefix))
		return false
	if (key.charCodeAt(bodyStart - 1) !== 95) return false
	let c = -1
	for (let i = 0; i < bodyStart; i++) {
		const code = key.charCodeAt(i)
		// zlib hashes non-ASCII text as UTF-8; only a prefix chosen by the caller can contain it.
		if (code > 0x7f) return keyEnvironmentSlowly(key, prefix)
		c = crcStep(c, code)
	}
	for (let i = bodyStart; i < end; i++) {
		const code = key.charCodeAt(i)
		if (base62Value(code) < 0) return false
		c = crcStep(c, code)
	}
	// The checksum characters, read as a base62 number: equal to the CRC exactly when the text matches.
	let presented = 0
	for (let i = end; i < length; i++) {
		const digit = base62Value(key.charCodeAt(i))
		if (digit < 0) return false
		presented = presented * 62 + digit
	}
	if ((c ^ -1) >>> 0 !== presented) return false
	return environmentOf(key, prefix, bodyStart)
}

/** The marker between the prefix and the body, `null` when there is none, `false` when it is not a label. */
function environmentOf(key: string, prefix: string, bodyStart: number): string | null | false {
	if (bodyStart - 1 === prefix.length) return null
	const environment = key.slice(prefix.length + 1, bodyStart - 1)
	return LABEL_PATTERN.test(environment) ? environment : false
}

/** {@link keyEnvironment} for a key whose prefix is not ASCII, with zlib's CRC-32. */
function keyEnvironmentSlowly(key: string, prefix: string): string | null | false {
	const bodyStart = key.length - BODY_LENGTH
	for (let i = bodyStart; i < key.length; i++) if (base62Value(key.charCodeAt(i)) < 0) return false
	if (checksum(key.slice(0, key.length - CHECKSUM_LENGTH)) !== key.slice(key.length - CHECKSUM_LENGTH))
		return false
	return environmentOf(key, prefix, bodyStart)
}

/**
 * Parse and checksum-validate a key without any store access. Returns `null` for anything that
 * is not a well-formed key with the expected prefix (never throws).
 * @example parseKey('kw_live_...', 'kw')?.environment // 'live'
 */
export function parseKey(key: unknown, prefix = 'kw'): ParsedKey | null {
	const environment = keyEnvironment(key, prefix)
	if (environment === false) return null
	return { prefix, environment, body: (key as string).slice((key as string).length - BODY_LENGTH) }
}
