import type { KeyInfo, VerifyFailure } from '@keyward/core'
import type { CredentialHiding } from '@keyward/core/adapter'

/** Signature algorithms keyward signs and accepts: Ed25519 (`EdDSA`) and P-256 ECDSA (`ES256`). */
export type SigningAlgorithm = 'EdDSA' | 'ES256'

/**
 * The claims of a token minted by a {@link TokenIssuer}: a JWT access token as RFC 9068 profiles it,
 * with every claim it requires (`iss`, `exp`, `aud`, `sub`, `client_id`, `iat`, `jti`) and `scope`.
 * The header carries `typ: "at+jwt"` and the `kid` of the key that signed it.
 */
export interface TokenClaims {
	/** Issuer: the edge service's identifier, compared exactly. */
	readonly iss: string
	/** Owner of the API key the token was minted from. */
	readonly sub: string
	/** Audience: the internal service(s) the token is meant for. */
	readonly aud: string | readonly string[]
	/** Expiry, in seconds since the epoch; never later than the API key's own expiry. */
	readonly exp: number
	/** Issue time, in seconds since the epoch. */
	readonly iat: number
	/** Not valid before, in seconds since the epoch (the issue time). */
	readonly nbf: number
	/** Unique id of this token (a random UUID), for logs and audit trails. */
	readonly jti: string
	/**
	 * RFC 9068's client: the API key the token was minted from, by its public id. The key is the
	 * client that authenticated at the token endpoint; the same value as `key_id`.
	 */
	readonly client_id: string
	/** Id of the API key the token was minted from (a public id, never the key); equals `client_id`. */
	readonly key_id: string
	/** Granted scopes, space-delimited (RFC 9068); `''` grants nothing. */
	readonly scope: string
}

/** Why a token was refused. */
export type TokenRejectCode = 'missing' | 'invalid_token' | 'expired' | 'insufficient_scope' | 'unavailable'

/** HTTP statuses a token refusal can carry. */
export type TokenRejectStatus = 401 | 403 | 503

/** A verified token. */
export interface TokenVerifySuccess {
	ok: true
	/**
	 * The token's key as a core `KeyInfo`: `id` from `key_id`, `owner` from `sub`, `scopes` from
	 * `scope`, `createdAt` from `iat`, `expiresAt` from `exp`; the other fields are `null` or `{}`
	 * because a token does not carry them.
	 */
	key: KeyInfo
	/** The verified claims. */
	claims: TokenClaims
	/** Response headers to send; empty for tokens. */
	headers: Readonly<Record<string, string>>
}

/** A refused token: everything a middleware needs to answer the request. */
export interface TokenVerifyFailure {
	ok: false
	status: TokenRejectStatus
	code: TokenRejectCode
	/** Human-readable reason; never contains the token. */
	detail: string
	/** `WWW-Authenticate: Bearer ...` (RFC 6750) on 401 and 403. */
	headers: Readonly<Record<string, string>>
}

/** Outcome of {@link TokenVerifier.verify} and {@link TokenVerifier.verifyRequest}. */
export type TokenVerifyResult = TokenVerifySuccess | TokenVerifyFailure

/** A minted token. */
export interface MintSuccess {
	ok: true
	/** The signed JWT (compact serialization). */
	token: string
	claims: TokenClaims
	/** When the token expires (`exp`). */
	expiresAt: Date
	/** The API key the token was minted from. */
	key: KeyInfo
	/** Response headers from the API key's verification (RateLimit headers of keys with a quota). */
	headers: Readonly<Record<string, string>>
	/** What to hide from the request it was minted from (a key in the query), as core reported it. */
	hide?: CredentialHiding | undefined
}

/** A refused token request that was not about the API key itself: bad body or bad scope syntax. */
export interface MintRequestFailure {
	ok: false
	status: 400
	code: 'invalid_request'
	detail: string
	headers: Readonly<Record<string, string>>
	/** What to hide from the request (a key in the query), as core reported it. */
	hide?: CredentialHiding | undefined
}

/** Why minting was refused: the API key's own refusal (exactly as core reports it) or a bad request. */
export type MintFailure = VerifyFailure | MintRequestFailure

/** Outcome of {@link TokenIssuer.mint}. */
export type MintResult = MintSuccess | MintFailure
