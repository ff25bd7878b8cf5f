import type { VerifyFailure } from '@keyward/core'
import { API_KEY_SCHEME, challenge, REJECTIONS, type RejectCode } from '@keyward/core/wire'
import type { MintRequestFailure, TokenRejectCode, TokenRejectStatus, TokenVerifyFailure } from './types.js'

/** Status and default detail of every token refusal. */
export const TOKEN_REJECTIONS = {
	missing: { status: 401, detail: 'Not authenticated' },
	invalid_token: { status: 401, detail: 'Invalid token' },
	expired: { status: 401, detail: 'Token has expired' },
	insufficient_scope: { status: 403, detail: 'Insufficient scope' },
	unavailable: { status: 503, detail: 'Authentication unavailable' },
} as const satisfies Record<TokenRejectCode, { status: TokenRejectStatus; detail: string }>

/** RFC 6750 `error` attribute of each code; `missing` has none (§3.1: no credentials, no error). */
const BEARER_ERROR: Record<TokenRejectCode, string | undefined> = {
	missing: undefined,
	invalid_token: 'invalid_token',
	expired: 'invalid_token',
	insufficient_scope: 'insufficient_scope',
	unavailable: undefined,
}

/**
 * `WWW-Authenticate` value of RFC 6750: `Bearer realm="api", error="invalid_token", error_description="..."`.
 * Quotes and backslashes in the values are escaped.
 */
export function bearerChallenge(
	realm: string,
	error?: string | undefined,
	description?: string | undefined,
	scope?: string | undefined,
): string {
	const scoped = scope !== undefined && scope.length > 0 ? scope : undefined
	return challenge('Bearer', { realm, error, error_description: description, scope: scoped })
}

/** Builds token refusals; see {@link createTokenRejecter}. */
export type TokenRejecter = (
	code: TokenRejectCode,
	detail?: string | undefined,
	scope?: string | undefined,
) => TokenVerifyFailure

/** Refusals with a realm's `Bearer` challenge on 401 and 403; shared frozen objects where nothing varies. */
export function createTokenRejecter(realm: string): TokenRejecter {
	const shared = new Map<TokenRejectCode, TokenVerifyFailure>()
	function build(code: TokenRejectCode, detail: string, scope: string | undefined): TokenVerifyFailure {
		const { status } = TOKEN_REJECTIONS[code]
		const error = BEARER_ERROR[code]
		const headers: Record<string, string> =
			status === 503 ? {} : { 'WWW-Authenticate': bearerChallenge(realm, error, error && detail, scope) }
		return Object.freeze({ ok: false, status, code, detail, headers: Object.freeze(headers) })
	}
	return function reject(code, detail, scope) {
		if (detail === undefined && scope === undefined) {
			let failure = shared.get(code)
			if (failure === undefined) {
				failure = build(code, TOKEN_REJECTIONS[code].detail, undefined)
				shared.set(code, failure)
			}
			return failure
		}
		return build(code, detail ?? TOKEN_REJECTIONS[code].detail, scope)
	}
}

/** A refusal about the API key itself, worded exactly as core words it (`Apikey` challenge on 401). */
export function keyFailure(code: RejectCode, realm: string, keyId?: string | undefined): VerifyFailure {
	const { status, detail } = REJECTIONS[code]
	const headers: Record<string, string> =
		status === 401 ? { 'WWW-Authenticate': challenge(API_KEY_SCHEME, { realm }) } : {}
	const failure: VerifyFailure = { ok: false, status, code, detail, headers }
	if (keyId !== undefined) failure.keyId = keyId
	return failure
}

/** A malformed token request (bad body, bad scope syntax): 400 `invalid_request`. */
export function invalidRequest(detail: string): MintRequestFailure {
	return { ok: false, status: 400, code: 'invalid_request', detail, headers: {} }
}
