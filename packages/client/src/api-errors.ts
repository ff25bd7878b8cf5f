import { REJECT_CODES, REJECTIONS, type RejectCode, type RejectStatus } from '@keyward/core/wire'
import { parseRateLimit, type QuotaInfo } from './rate-limit.js'
import { parseRetryAfter } from './retry.js'

/**
 * Codes a keyward API answers with (`code` of the JSON error body): `RejectCode` of
 * `@keyward/core/wire`, under the name this package has always used. Other APIs may send others.
 */
export type ApiRejectCode = RejectCode

/** What every {@link KeywardApiError} is built from. */
export interface KeywardApiErrorInit {
	status: number
	/** `code` of the body, or `http_error` when the body had none. */
	code: string
	detail: string
	headers: Headers
	quota?: QuotaInfo | undefined
	retryAfterMs?: number | undefined
}

/**
 * An error answer of the API (status 400 or above). Answers with a meaning of their own get a
 * subclass: {@link AuthenticationError} (401), {@link PermissionError} (403),
 * {@link QuotaExceededError} and {@link TooManyFailuresError} (429), {@link ServiceUnavailableError}
 * (503); anything else is this class. `detail` and `code` come from keyward's JSON body
 * `{"detail": "...", "code": "..."}`. A keyward code ({@link ApiRejectCode}) sent with its own
 * status picks the subclass; any other answer is classed by its status alone. Each subclass names
 * its status in a static `status` (`AuthenticationError.status === 401`).
 * @example if (error instanceof KeywardApiError && error.code === 'expired') askForNewKey()
 */
export class KeywardApiError extends Error {
	override readonly name: string = 'KeywardApiError'
	/** HTTP status. */
	readonly status: number
	/** Stable reason, e.g. `invalid`, `revoked`, `insufficient_scope` (see {@link ApiRejectCode}). */
	readonly code: string
	/** Human-readable reason from the server. */
	readonly detail: string
	/** Headers of the answer (`WWW-Authenticate`, `Retry-After`...). */
	readonly headers: Headers
	/** Quota announced by the answer's RateLimit headers, if any. */
	readonly quota: QuotaInfo | undefined
	/** How long `Retry-After` asks to wait, if the answer has one. */
	readonly retryAfterMs: number | undefined

	constructor(init: KeywardApiErrorInit) {
		super(`${init.detail} (${init.status} ${init.code})`)
		this.status = init.status
		this.code = init.code
		this.detail = init.detail
		this.headers = init.headers
		this.quota = init.quota
		this.retryAfterMs = init.retryAfterMs
	}
}

/** A subclass of {@link KeywardApiError} for the answers of one status, `S`. */
interface ApiErrorClass<S extends RejectStatus = RejectStatus> {
	/** The status every answer of this class has. */
	readonly status: S
	new (init: KeywardApiErrorInit & { nowMs: number }): KeywardApiError
}

/** `Retry-After` as a point in time. */
function retryAt(init: KeywardApiErrorInit & { nowMs: number }): Date | undefined {
	return init.retryAfterMs === undefined ? undefined : new Date(init.nowMs + init.retryAfterMs)
}

/** 401: no key, or one the API does not accept (`missing`, `invalid`, `revoked`, `expired`...). */
export class AuthenticationError extends KeywardApiError {
	static readonly status = 401
	override readonly name: string = 'AuthenticationError'
}

/**
 * 403: the key is valid but lacks a scope the endpoint requires (`insufficient_scope`), its account
 * is disabled (`owner_disabled`), or a request authenticated by a session cookie came from a page of
 * another origin (`cross_origin`).
 */
export class PermissionError extends KeywardApiError {
	static readonly status = 403
	override readonly name: string = 'PermissionError'
}

/**
 * 429: the key's quota is used up (`quota_exceeded`), or its account's, shared by all the account's
 * keys (`owner_quota_exceeded`: `code` says which). Also any 429 whose code is not keyward's
 * (another API's rate limit), but never `too_many_failures`: that is a {@link TooManyFailuresError}.
 */
export class QuotaExceededError extends KeywardApiError {
	static readonly status = 429
	override readonly name: string = 'QuotaExceededError'
	/** When requests are allowed again: from `Retry-After`, else the RateLimit reset. */
	readonly resetAt: Date | undefined

	constructor(init: KeywardApiErrorInit & { nowMs: number }) {
		super(init)
		this.resetAt = retryAt(init) ?? init.quota?.resetAt
	}
}

/**
 * 429 with code `too_many_failures`: the API refuses this client (by its address) for a while
 * because it sent too many bad keys. It says nothing about the quota, nor about the key sent this
 * time, which may well be good: every request from this client is refused until `Retry-After`
 * has passed. Do not treat it as a {@link QuotaExceededError}. Fix the key that failed (an
 * {@link AuthenticationError} came before this), then wait `retryAfterMs` (until `resetAt`);
 * sending the same bad key afterwards only starts the count again. The client never retries it.
 * @example if (error instanceof TooManyFailuresError) console.error(`Locked out until ${error.resetAt?.toISOString()}`)
 */
export class TooManyFailuresError extends KeywardApiError {
	static readonly status = 429
	override readonly name: string = 'TooManyFailuresError'
	/** When this client may try again: from `Retry-After` (RateLimit headers speak of the quota). */
	readonly resetAt: Date | undefined

	constructor(init: KeywardApiErrorInit & { nowMs: number }) {
		super(init)
		this.resetAt = retryAt(init)
	}
}

/** 503: the API cannot authenticate right now (`unavailable`); worth retrying later. */
export class ServiceUnavailableError extends KeywardApiError {
	static readonly status = 503
	override readonly name: string = 'ServiceUnavailableError'
}

/**
 * The class of an answer by keyward's code: every {@link ApiRejectCode} has one, whose status is
 * the code's status in `REJECTIONS`, so a code added to `@keyward/core/wire` fails to compile here
 * until it is mapped.
 */
export const ERROR_CLASS_BY_CODE = {
	missing: AuthenticationError,
	malformed: AuthenticationError,
	invalid: AuthenticationError,
	revoked: AuthenticationError,
	expired: AuthenticationError,
	ambiguous: AuthenticationError,
	wrong_environment: AuthenticationError,
	invalid_session: AuthenticationError,
	insufficient_scope: PermissionError,
	cross_origin: PermissionError,
	owner_disabled: PermissionError,
	quota_exceeded: QuotaExceededError,
	owner_quota_exceeded: QuotaExceededError,
	too_many_failures: TooManyFailuresError,
	unavailable: ServiceUnavailableError,
} as const satisfies { readonly [C in RejectCode]: ApiErrorClass<(typeof REJECTIONS)[C]['status']> }

/** The class of an answer without a keyward code, by its status. */
const ERROR_CLASS_BY_STATUS: { readonly [S in RejectStatus]: ApiErrorClass<S> } = {
	401: AuthenticationError,
	403: PermissionError,
	429: QuotaExceededError,
	503: ServiceUnavailableError,
}

function isRejectCode(code: string): code is RejectCode {
	return (REJECT_CODES as readonly string[]).includes(code)
}

/**
 * The class for an answer: by `code` when it is keyward's and comes with its own status (a `400
 * invalid` from the application behind keyward is not an authentication failure), else by status.
 */
function errorClassOf(
	status: number,
	code: string,
): new (
	init: KeywardApiErrorInit & { nowMs: number },
) => KeywardApiError {
	if (isRejectCode(code) && REJECTIONS[code].status === status) return ERROR_CLASS_BY_CODE[code]
	return Object.hasOwn(ERROR_CLASS_BY_STATUS, status)
		? ERROR_CLASS_BY_STATUS[status as RejectStatus]
		: KeywardApiError
}

function redact(text: string, secret: string): string {
	return secret === '' ? text : text.split(secret).join('[redacted]')
}

/**
 * Reads an error answer into the matching {@link KeywardApiError}. The body is consumed. Any
 * occurrence of `apiKey` in the server's text is replaced by `[redacted]`.
 */
export async function toApiError(
	response: Response,
	apiKey: string,
	nowMs: number,
): Promise<KeywardApiError> {
	let body: unknown
	try {
		body = JSON.parse(await response.text())
	} catch {
		body = undefined
	}
	const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
	const code = typeof fields.code === 'string' && fields.code !== '' ? fields.code : 'http_error'
	const detail =
		typeof fields.detail === 'string' && fields.detail !== ''
			? fields.detail
			: response.statusText || `HTTP ${response.status}`
	const ErrorClass = errorClassOf(response.status, code)
	return new ErrorClass({
		status: response.status,
		code: redact(code, apiKey),
		detail: redact(detail, apiKey),
		headers: response.headers,
		quota: parseRateLimit(response.headers, nowMs),
		retryAfterMs: parseRetryAfter(response.headers.get('Retry-After'), nowMs),
		nowMs,
	})
}
