import type { RequestLike } from '@keyward/core'

/** Outcome of {@link extractBearer}: no bearer credentials, unusable ones, or a token to verify. */
export type BearerExtraction = { kind: 'none' } | { kind: 'invalid' } | { kind: 'token'; token: string }

/** Longest token looked at; longer ones are refused unread. */
export const MAX_TOKEN_LENGTH = 8192

const NONE: BearerExtraction = Object.freeze({ kind: 'none' })
const INVALID: BearerExtraction = Object.freeze({ kind: 'invalid' })
const SCHEME = /^bearer(?=$|[ \t])/i
/** RFC 6750 `b64token`. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

function authorizationCount(rawHeaders: readonly string[] | undefined): number {
	if (rawHeaders === undefined) return 1
	let count = 0
	for (let i = 0; i < rawHeaders.length; i += 2) {
		if (rawHeaders[i]?.toLowerCase() === 'authorization') count++
	}
	return count
}

/**
 * Read `Authorization: Bearer <token>` (scheme matched case-insensitively, spaces and tabs around
 * the token ignored). Another scheme counts as no bearer credentials; a repeated `Authorization`
 * header, an empty token or one that is not a `b64token` is invalid.
 */
export function extractBearer(req: RequestLike): BearerExtraction {
	const header = req.headers.authorization
	if (header === undefined) return NONE
	if (typeof header !== 'string' || authorizationCount(req.rawHeaders) > 1) return INVALID
	const value = header.replace(/^[ \t]+/, '')
	const scheme = SCHEME.exec(value)
	if (scheme === null) return NONE
	const token = value.slice(scheme[0].length).replace(/^[ \t]+|[ \t]+$/g, '')
	if (token.length === 0 || token.length > MAX_TOKEN_LENGTH || !B64TOKEN.test(token)) return INVALID
	return { kind: 'token', token }
}
