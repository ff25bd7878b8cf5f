/**
 * The wire contract of a keyward API: the refusal codes, their statuses and default details, and
 * the `WWW-Authenticate` challenge. Servers (core, `@keyward/tokens`) answer with it and callers
 * (`@keyward/client`) read it, all from this one module, which imports nothing beyond the
 * option-name check (itself without imports) that core, the token package and the client share.
 */

export { unknownOptionMessage } from './option-names.js'

/** Why a request was refused: the `code` of the JSON error body. */
export type RejectCode =
	| 'missing'
	| 'malformed'
	| 'invalid'
	| 'revoked'
	| 'expired'
	| 'ambiguous'
	| 'wrong_environment'
	| 'invalid_session'
	| 'insufficient_scope'
	| 'cross_origin'
	| 'owner_disabled'
	| 'quota_exceeded'
	| 'owner_quota_exceeded'
	| 'too_many_failures'
	| 'unavailable'

/** HTTP statuses a refusal can carry. */
export type RejectStatus = 401 | 403 | 429 | 503

/** Status and default detail of every refusal: the one table adapters, clients and docs rely on. */
export const REJECTIONS = {
	missing: { status: 401, detail: 'Not authenticated' },
	malformed: { status: 401, detail: 'Invalid API key' },
	invalid: { status: 401, detail: 'Invalid API key' },
	revoked: { status: 401, detail: 'API key has been revoked' },
	expired: { status: 401, detail: 'API key has expired' },
	ambiguous: { status: 401, detail: 'Multiple API keys provided' },
	wrong_environment: { status: 401, detail: 'API key belongs to another environment' },
	invalid_session: { status: 401, detail: 'Session is invalid or has ended' },
	insufficient_scope: { status: 403, detail: 'Insufficient scope' },
	cross_origin: { status: 403, detail: 'Cross-origin request refused' },
	owner_disabled: { status: 403, detail: 'The account is disabled' },
	quota_exceeded: { status: 429, detail: 'Monthly quota exceeded' },
	owner_quota_exceeded: { status: 429, detail: 'Monthly request limit of the account exceeded' },
	too_many_failures: { status: 429, detail: 'Too many failed attempts' },
	unavailable: { status: 503, detail: 'Authentication unavailable' },
} as const satisfies Record<RejectCode, { status: RejectStatus; detail: string }>

/** Every {@link RejectCode}, in the order of {@link REJECTIONS}. */
export const REJECT_CODES: readonly RejectCode[] = Object.freeze(Object.keys(REJECTIONS) as RejectCode[])

/** The scheme of `Authorization: Apikey <key>` and of the challenge on a 401. */
export const API_KEY_SCHEME = 'Apikey'

/** `value` as an RFC 9110 quoted string: quotes and backslashes escaped. */
export function quotedString(value: string): string {
	return `"${value.replace(/["\\]/g, '\\$&')}"`
}

/**
 * A `WWW-Authenticate` challenge: `Apikey realm="api"`, or with other parameters
 * (`Bearer realm="api", error="invalid_token"`). Parameters whose value is `undefined` are left out.
 * @example challenge('Apikey', { realm: 'api' }) // 'Apikey realm="api"'
 */
export function challenge(scheme: string, params: Readonly<Record<string, string | undefined>>): string {
	const parts: string[] = []
	for (const [name, value] of Object.entries(params)) {
		if (value !== undefined) parts.push(`${name}=${quotedString(value)}`)
	}
	return parts.length === 0 ? scheme : `${scheme} ${parts.join(', ')}`
}

/**
 * An `Error` with a stable `code` to branch on: the base of keyward's own error classes on both
 * sides of the wire (core's `KeywardError`, the client's `KeywardClientError`). A subclass sets
 * `name` and narrows `Code` to its union of codes. Messages should be fixed text plus names and
 * paths, never key material.
 * @example class StoreError extends CodedError<'timeout' | 'closed'> { override readonly name = 'StoreError' }
 */
export class CodedError<Code extends string> extends Error {
	/** What went wrong, as a stable string. */
	readonly code: Code

	constructor(code: Code, message: string, options?: { cause?: unknown }) {
		super(message, options)
		this.code = code
	}
}
