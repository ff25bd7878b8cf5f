import type { RejectCode, RejectStatus, VerifyFailure } from './types.js'

/** Status and default detail of every refusal: the one table adapters and docs rely on. */
export const REJECTIONS = {
	missing: { status: 401, detail: 'Not authenticated' },
	malformed: { status: 401, detail: 'Invalid API key' },
	invalid: { status: 401, detail: 'Invalid API key' },
	revoked: { status: 401, detail: 'API key has been revoked' },
	expired: { status: 401, detail: 'API key has expired' },
	ambiguous: { status: 401, detail: 'Multiple API keys provided' },
	wrong_environment: { status: 401, detail: 'API key belongs to another environment' },
	insufficient_scope: { status: 403, detail: 'Insufficient scope' },
	quota_exceeded: { status: 429, detail: 'Monthly quota exceeded' },
	too_many_failures: { status: 429, detail: 'Too many failed attempts' },
	unavailable: { status: 503, detail: 'Authentication unavailable' },
} as const satisfies Record<RejectCode, { status: RejectStatus; detail: string }>

/** Builds refusals with the realm's `WWW-Authenticate` header; shared objects where nothing varies. */
export type Rejecter = (
	code: RejectCode,
	extraHeaders?: Record<string, string>,
	keyId?: string,
) => VerifyFailure

/** `Apikey realm="..."` value for a realm; quotes and backslashes are escaped. */
export function wwwAuthenticate(realm: string, scheme = 'Apikey'): string {
	return `${scheme} realm="${realm.replace(/["\\]/g, '\\$&')}"`
}

/** Creates the refusal factory used by core and by `checkScopes`. */
export function createRejecter(realm: string, scheme = 'Apikey'): Rejecter {
	const challenge = { 'WWW-Authenticate': wwwAuthenticate(realm, scheme) }
	const noHeaders = Object.freeze({})
	const shared = new Map<RejectCode, VerifyFailure>()
	return function reject(code, extraHeaders, keyId) {
		const { status, detail } = REJECTIONS[code]
		const base = status === 401 ? challenge : noHeaders
		if (extraHeaders === undefined && keyId === undefined) {
			let failure = shared.get(code)
			if (failure === undefined) {
				failure = Object.freeze({ ok: false, status, code, detail, headers: Object.freeze({ ...base }) })
				shared.set(code, failure)
			}
			return failure
		}
		const failure: VerifyFailure = { ok: false, status, code, detail, headers: { ...base, ...extraHeaders } }
		if (keyId !== undefined) failure.keyId = keyId
		return failure
	}
}

/** Refusals with the default realm, for code that has no keyward instance (e.g. `checkScopes`). */
export const defaultReject: Rejecter = createRejecter('api')
