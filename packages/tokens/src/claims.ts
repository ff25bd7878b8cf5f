import type { KeyInfo } from '@keyward/core'
import { SCOPE_PATTERN } from '@keyward/core/adapter'
import type { JWTPayload } from 'jose'
import type { TokenClaims } from './types.js'

/** Most scopes a token request may name. */
export const MAX_SCOPES = 100

/** Split a space-delimited `scope` claim; `null` when it holds something that is not a valid scope. */
export function parseScope(scope: string): string[] | null {
	if (scope.length === 0) return []
	const scopes = scope.split(' ')
	return scopes.every((s) => SCOPE_PATTERN.test(s)) ? scopes : null
}

/** Validate requested scopes: an array of valid scope strings, duplicates dropped; `null` if invalid. */
export function checkRequestedScopes(scopes: unknown): string[] | null {
	if (!Array.isArray(scopes) || scopes.length > MAX_SCOPES) return null
	for (const s of scopes) if (typeof s !== 'string' || !SCOPE_PATTERN.test(s)) return null
	return [...new Set(scopes as string[])]
}

function isNumericDate(value: unknown): value is number {
	return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

/**
 * Narrow a verified payload to {@link TokenClaims}: a token whose signature is good but whose claims
 * do not have the shape keyward mints is still refused.
 */
export function asTokenClaims(payload: JWTPayload): TokenClaims | null {
	const { iss, sub, aud, exp, iat, jti } = payload
	const nbf = payload.nbf ?? iat
	const keyId: unknown = payload.key_id
	const clientId: unknown = payload.client_id
	const scope: unknown = payload.scope
	if (typeof iss !== 'string' || typeof sub !== 'string' || sub.length === 0) return null
	if (typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))) return null
	if (!isNumericDate(exp) || !isNumericDate(iat) || !isNumericDate(nbf)) return null
	// RFC 9068 requires jti and client_id; keyward's client is the API key, so both ids agree.
	if (typeof jti !== 'string' || jti.length === 0) return null
	if (typeof keyId !== 'string' || keyId.length === 0 || clientId !== keyId || typeof scope !== 'string')
		return null
	if (parseScope(scope) === null) return null
	return Object.freeze({
		...payload,
		iss,
		sub,
		aud,
		exp,
		iat,
		nbf,
		jti,
		client_id: keyId,
		key_id: keyId,
		scope,
	})
}

/**
 * The core `KeyInfo` a token stands for, so `requireScopes` and handlers written for `apiKeyAuth`
 * work unchanged behind `tokenAuth`. Fields a token does not carry are `null` or `{}`.
 */
export function keyInfoFromClaims(claims: TokenClaims): KeyInfo {
	return Object.freeze({
		id: claims.key_id,
		owner: claims.sub,
		name: null,
		note: null,
		scopes: Object.freeze(parseScope(claims.scope) ?? []),
		createdAt: new Date(claims.iat * 1000),
		expiresAt: new Date(claims.exp * 1000),
		revokedAt: null,
		lastUsedAt: null,
		monthlyQuota: null,
		metadata: Object.freeze({}),
		familyId: claims.key_id,
		replacedBy: null,
		hint: null,
	})
}
