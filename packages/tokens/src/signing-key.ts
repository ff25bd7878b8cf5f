import { KeywardError } from '@keyward/core'
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'
import { checkOptionNames } from './options.js'
import type { SigningAlgorithm } from './types.js'

/** A private key that signs tokens, with its public half as published in the JWKS. */
export interface SigningKey {
	/** Key id, put in every token's header and in the JWKS; unique within an issuer. */
	readonly kid: string
	/** `EdDSA` (Ed25519) or `ES256` (P-256). */
	readonly alg: SigningAlgorithm
	/** The private key. Not extractable unless generated or imported with `extractable: true`. */
	readonly privateKey: CryptoKey
	/** Public JWK with `kid`, `alg` and `use: "sig"`, exactly as the JWKS publishes it. */
	readonly publicJwk: Readonly<JWK>
}

/** Options of {@link generateSigningKey}. */
export interface GenerateSigningKeyOptions {
	/** @defaultValue 'EdDSA' (Ed25519) */
	alg?: SigningAlgorithm | undefined
	/** @defaultValue the RFC 7638 thumbprint of the public key */
	kid?: string | undefined
	/** Allow {@link exportSigningKey}, e.g. to store the key in a secret manager. @defaultValue false */
	extractable?: boolean | undefined
}

/** Options of {@link importSigningKey}. */
export interface ImportSigningKeyOptions {
	/** @defaultValue the JWK's `alg`, else derived from its curve */
	alg?: SigningAlgorithm | undefined
	/** @defaultValue the JWK's `kid`, else the RFC 7638 thumbprint of the public key */
	kid?: string | undefined
	/** @defaultValue false */
	extractable?: boolean | undefined
}

const ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256']
const KID_PATTERN = /^[\x21-\x7e]{1,128}$/
const PUBLIC_MEMBERS: Record<string, readonly string[]> = { OKP: ['crv', 'x'], EC: ['crv', 'x', 'y'] }

function invalid(message: string, cause?: unknown): KeywardError {
	return new KeywardError('invalid_argument', message, cause === undefined ? undefined : { cause })
}

function checkAlg(alg: unknown): SigningAlgorithm {
	if (!ALGORITHMS.includes(alg as SigningAlgorithm)) throw invalid('alg must be "EdDSA" or "ES256"')
	return alg as SigningAlgorithm
}

function checkKid(kid: unknown): string {
	if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) {
		throw invalid('kid must be 1-128 printable ASCII characters without spaces')
	}
	return kid
}

/** Only the public members: a private `d` must never reach the JWKS. */
function publicPart(jwk: JWK): JWK {
	const members = PUBLIC_MEMBERS[jwk.kty ?? ''] ?? []
	const out: JWK = { kty: jwk.kty as string }
	for (const name of members) {
		const value = (jwk as Record<string, unknown>)[name]
		if (typeof value === 'string') (out as Record<string, unknown>)[name] = value
	}
	return out
}

async function build(
	privateKey: CryptoKey,
	publicJwk: JWK,
	alg: SigningAlgorithm,
	kid: string | undefined,
): Promise<SigningKey> {
	const pub = publicPart(publicJwk)
	const id = kid === undefined ? await calculateJwkThumbprint(pub, 'sha256') : checkKid(kid)
	return Object.freeze({
		kid: id,
		alg,
		privateKey,
		publicJwk: Object.freeze({ ...pub, kid: id, alg, use: 'sig' }),
	})
}

/**
 * Generate a fresh signing key pair.
 * @example
 * const key = await generateSigningKey()                       // Ed25519, kid = thumbprint
 * const ec = await generateSigningKey({ alg: 'ES256', kid: '2026-11' })
 */
export async function generateSigningKey(
	options: Readonly<GenerateSigningKeyOptions> = {},
): Promise<SigningKey> {
	checkOptionNames(options, ['alg', 'kid', 'extractable'], 'generateSigningKey options')
	const alg = checkAlg(options.alg ?? 'EdDSA')
	const { privateKey, publicKey } = await generateKeyPair(alg, {
		extractable: options.extractable ?? false,
		...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
	})
	return build(privateKey, await exportJWK(publicKey), alg, options.kid)
}

/**
 * Import a signing key from a private JWK (Ed25519 `OKP` or P-256 `EC`), e.g. one kept in a secret
 * manager and shared by every instance of the edge service.
 * @example
 * const key = await importSigningKey(JSON.parse(process.env.TOKEN_SIGNING_JWK ?? ''))
 */
export async function importSigningKey(
	jwk: Readonly<JWK>,
	options: Readonly<ImportSigningKeyOptions> = {},
): Promise<SigningKey> {
	if (typeof jwk !== 'object' || jwk === null || typeof jwk.d !== 'string') {
		throw invalid('importSigningKey expects a private JWK')
	}
	checkOptionNames(options, ['alg', 'kid', 'extractable'], 'importSigningKey options')
	const derived =
		jwk.kty === 'OKP' && jwk.crv === 'Ed25519'
			? 'EdDSA'
			: jwk.kty === 'EC' && jwk.crv === 'P-256'
				? 'ES256'
				: undefined
	const alg = checkAlg(options.alg ?? jwk.alg ?? derived)
	if (derived !== alg) throw invalid('The JWK does not hold an Ed25519 (EdDSA) or P-256 (ES256) key')
	let privateKey: CryptoKey
	try {
		privateKey = (await importJWK(jwk as JWK, alg, {
			extractable: options.extractable ?? false,
		})) as CryptoKey
	} catch (error) {
		throw invalid('The JWK could not be imported', error)
	}
	return build(privateKey, jwk as JWK, alg, options.kid ?? jwk.kid)
}

/**
 * Export a signing key as a private JWK (with `kid` and `alg`), for storage in a secret manager.
 * The key must have been generated or imported with `extractable: true`.
 * @example
 * const jwk = await exportSigningKey(await generateSigningKey({ extractable: true }))
 */
export async function exportSigningKey(key: SigningKey): Promise<JWK> {
	if (!key.privateKey.extractable) throw invalid('The signing key is not extractable')
	const jwk = await exportJWK(key.privateKey)
	return { ...jwk, kid: key.kid, alg: key.alg }
}

/** Throw unless `value` looks like a {@link SigningKey}. */
export function checkSigningKey(value: unknown, where: string): SigningKey {
	const key = value as SigningKey | undefined
	if (
		typeof key !== 'object' ||
		key === null ||
		typeof key.kid !== 'string' ||
		!ALGORITHMS.includes(key.alg) ||
		typeof key.privateKey !== 'object' ||
		typeof key.publicJwk !== 'object'
	) {
		throw new KeywardError(
			'invalid_option',
			`${where} must hold signing keys from generateSigningKey or importSigningKey`,
		)
	}
	return key
}
