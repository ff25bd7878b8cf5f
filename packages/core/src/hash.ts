import * as crypto from 'node:crypto'
import { createHmac, timingSafeEqual } from 'node:crypto'

/** A server-side secret mixed into key hashes, with a version so it can be rotated. */
export interface Pepper {
	/** Short label stored with each hash (letters and digits). */
	version: string
	secret: string
}

// One-shot hashing (Node >= 20.12) skips the Hash object; older runtimes fall back to createHash.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash

/** Hex SHA-256 of `key`: the hash of keys stored without a pepper, and of hash imports. */
export function sha256Hex(key: string): string {
	return oneShot === undefined
		? crypto.createHash('sha256').update(key).digest('hex')
		: oneShot('sha256', key, 'hex')
}

/** Hashes keys for storage and lookup. The first hasher is the current one. */
export interface KeyHasher {
	/** Hash under the current pepper (or plain SHA-256 without one). */
	hash(key: string): string
	/** Every hash the key may be stored under: current first, then older peppers. */
	candidates(key: string): string[]
	/**
	 * {@link KeyHasher.candidates}, then the plain SHA-256 when a pepper is configured: keys of a
	 * legacy format may have been imported by their plain SHA-256 alone.
	 */
	candidatesWithPlain(key: string): string[]
}

/**
 * Plain keys are stored as hex SHA-256 (64 characters). With peppers, as `<version>$<hex HMAC-SHA-256>`,
 * so that keys hashed under an older pepper keep working while it is still listed.
 */
export function createKeyHasher(peppers: readonly Pepper[]): KeyHasher {
	const hashers = peppers.map(
		(p) => (key: string) => `${p.version}$${createHmac('sha256', p.secret).update(key).digest('hex')}`,
	)
	if (hashers.length === 0) hashers.push(sha256Hex)
	const current = hashers[0] as (key: string) => string
	const peppered = peppers.length > 0
	return {
		hash: current,
		candidates: (key) => hashers.map((h) => h(key)),
		candidatesWithPlain: (key) => {
			const hashes = hashers.map((h) => h(key))
			if (peppered) hashes.push(sha256Hex(key))
			return hashes
		},
	}
}

/** Constant-time string equality (lengths are compared first, which leaks only the length). */
export function safeEqual(a: string, b: string): boolean {
	const x = Buffer.from(a)
	const y = Buffer.from(b)
	return x.length === y.length && timingSafeEqual(x, y)
}
