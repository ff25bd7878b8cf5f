import { KeywardError } from '@keyward/core'
import type { JSONWebKeySet, JWK } from 'jose'
import { checkOptionNames } from './options.js'
import { checkSigningKey, type SigningKey } from './signing-key.js'
import type { SigningAlgorithm } from './types.js'

/** Where a key is in its life: published ahead (`next`), signing, or published until its tokens expire. */
export type SigningKeyState = 'next' | 'signing' | 'retiring'

/** One published key, as reported by {@link TokenIssuer.keys}. */
export interface SigningKeyStatus {
	/** Key id, as in the JWKS and token headers. */
	readonly kid: string
	/** Signature algorithm of the key. */
	readonly alg: SigningAlgorithm
	/** See {@link SigningKeyState}. */
	readonly state: SigningKeyState
	/** When a `retiring` key leaves the JWKS; `null` for the others. */
	readonly retireAt: Date | null
}

/** Options of {@link TokenIssuer.rotate}. */
export interface RotateOptions {
	/** Publish this key as the new `next` key once the rotation is done. @defaultValue none */
	next?: SigningKey | undefined
}

/** Options of {@link TokenIssuer.retire}. */
export interface RetireOptions {
	/** When the key leaves the JWKS. @defaultValue now + the issuer's `ttlMs` + `retireGraceMs` */
	at?: Date | undefined
}

interface Entry {
	readonly key: SigningKey
	state: SigningKeyState
	retireAt: number | null
}

/** The issuer's keys and their rotation; see {@link createKeyRing}. */
export interface KeyRing {
	/** The key that signs new tokens. */
	signer(): SigningKey
	/** Public keys of every published key; the same frozen object until the ring changes. */
	jwks(): JSONWebKeySet
	/** Every published key with its state, signer first. */
	status(): SigningKeyStatus[]
	/** Publish a `next` key. */
	publish(key: SigningKey): void
	/** Promote the oldest `next` key; the signer retires. */
	rotate(options?: Readonly<RotateOptions>): void
	/** Unpublish a non-signing key at `at`. */
	retire(kid: string, options?: Readonly<RetireOptions>): void
	/** Unpublish a non-signing key now. */
	remove(kid: string): void
}

const ORDER: Record<SigningKeyState, number> = { signing: 0, next: 1, retiring: 2 }

function misuse(message: string): KeywardError {
	return new KeywardError('invalid_argument', message)
}

/**
 * Keep the issuer's keys: `keys[0]` signs, the others are published as `next` keys. A key must be
 * published before it signs, so verifiers that cache the JWKS already know it; a key that stops
 * signing stays published for `retireAfterMs()`, long enough for its last token to expire.
 */
export function createKeyRing(
	keys: readonly SigningKey[],
	now: () => number,
	retireAfterMs: () => number,
): KeyRing {
	if (!Array.isArray(keys) || keys.length === 0) {
		throw new KeywardError('invalid_option', 'keys must list at least one signing key')
	}
	const entries: Entry[] = []
	let cached: JSONWebKeySet | undefined

	function add(key: SigningKey, state: SigningKeyState): void {
		if (entries.some((e) => e.key.kid === key.kid))
			throw misuse(`A key with kid "${key.kid}" is already published`)
		entries.push({ key, state, retireAt: null })
		cached = undefined
	}

	keys.forEach((key, i) => {
		const checked = checkSigningKey(key, 'keys')
		if (entries.some((e) => e.key.kid === checked.kid)) {
			throw new KeywardError('invalid_option', `keys holds two keys with kid "${checked.kid}"`)
		}
		add(checked, i === 0 ? 'signing' : 'next')
	})

	function prune(): void {
		const nowMs = now()
		for (let i = entries.length - 1; i >= 0; i--) {
			const entry = entries[i] as Entry
			if (entry.retireAt !== null && entry.retireAt <= nowMs) {
				entries.splice(i, 1)
				cached = undefined
			}
		}
	}

	function find(kid: string): Entry {
		const entry = entries.find((e) => e.key.kid === kid)
		if (entry === undefined) throw misuse(`No published key has kid "${kid}"`)
		return entry
	}

	function sorted(): Entry[] {
		return [...entries].sort((a, b) => ORDER[a.state] - ORDER[b.state])
	}

	return {
		signer() {
			return (entries.find((e) => e.state === 'signing') as Entry).key
		},
		jwks() {
			prune()
			if (cached === undefined) {
				const list: JWK[] = sorted().map((e) => Object.freeze({ ...e.key.publicJwk }))
				cached = Object.freeze({ keys: Object.freeze(list) as JWK[] })
			}
			return cached
		},
		status() {
			prune()
			return sorted().map((e) => ({
				kid: e.key.kid,
				alg: e.key.alg,
				state: e.state,
				retireAt: e.retireAt === null ? null : new Date(e.retireAt),
			}))
		},
		publish(key) {
			add(checkSigningKey(key, 'publish()'), 'next')
		},
		rotate(options = {}) {
			checkOptionNames(options, ['next'], 'rotate options')
			prune()
			const next = entries.find((e) => e.state === 'next')
			if (next === undefined) {
				throw misuse(
					'rotate() needs a published next key: list it after the signing key or publish() it first',
				)
			}
			// Check the key to publish before changing anything: a failed rotate() leaves the ring as it was.
			const staged =
				options.next === undefined ? undefined : checkSigningKey(options.next, 'rotate({ next })')
			if (staged !== undefined && entries.some((e) => e.key.kid === staged.kid)) {
				throw misuse(`A key with kid "${staged.kid}" is already published`)
			}
			const current = entries.find((e) => e.state === 'signing') as Entry
			current.state = 'retiring'
			current.retireAt = now() + retireAfterMs()
			next.state = 'signing'
			// Keep the signer first in the list, so the JWKS order tells the story.
			entries.splice(entries.indexOf(next), 1)
			entries.unshift(next)
			cached = undefined
			if (staged !== undefined) add(staged, 'next')
		},
		retire(kid, options = {}) {
			checkOptionNames(options, ['at'], 'retire options')
			const entry = find(kid)
			if (entry.state === 'signing') throw misuse('The signing key cannot be retired; rotate() first')
			const at = options.at
			if (at !== undefined && (!(at instanceof Date) || Number.isNaN(at.getTime()))) {
				throw misuse('retire({ at }) expects a valid Date')
			}
			entry.state = 'retiring'
			entry.retireAt = at === undefined ? now() + retireAfterMs() : at.getTime()
			cached = undefined
		},
		remove(kid) {
			const entry = find(kid)
			if (entry.state === 'signing') throw misuse('The signing key cannot be removed; rotate() first')
			entries.splice(entries.indexOf(entry), 1)
			cached = undefined
		},
	}
}
