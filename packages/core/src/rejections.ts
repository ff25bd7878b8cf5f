import type { VerifyFailure } from './types.js'
import { API_KEY_SCHEME, challenge, REJECTIONS, type RejectCode } from './wire.js'

/** Builds refusals with the realm's `WWW-Authenticate` header; shared objects where nothing varies. */
export type Rejecter = (
	code: RejectCode,
	extraHeaders?: Record<string, string>,
	keyId?: string,
) => VerifyFailure

/** Creates the refusal factory used by core and by `checkScopes`. */
export function createRejecter(realm: string): Rejecter {
	const unauthenticated = { 'WWW-Authenticate': challenge(API_KEY_SCHEME, { realm }) }
	const noHeaders = Object.freeze({})
	const shared = new Map<RejectCode, VerifyFailure>()
	return function reject(code, extraHeaders, keyId) {
		const { status, detail } = REJECTIONS[code]
		const base = status === 401 ? unauthenticated : noHeaders
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
