import { parseRateLimit, type QuotaInfo } from './rate-limit.js'
import { parseRetryAfter } from './retry.js'

/** Codes a keyward API answers with (`code` of the JSON error body). Other APIs may send others. */
export type ApiRejectCode =
	| 'missing'
	| 'malformed'
	| 'invalid'
	| 'revoked'
	| 'expired'
	| 'ambiguous'
	| 'wrong_environment'
	| 'insufficient_scope'
	| 'quota_exceeded'
	| 'unavailable'

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
 * An error answer of the API (status 400 or above). Statuses with a meaning of their own get a
 * subclass: {@link AuthenticationError} (401), {@link PermissionError} (403),
 * {@link QuotaExceededError} (429), {@link ServiceUnavailableError} (503); anything else is this
 * class. `detail` and `code` come from keyward's JSON body `{"detail": "...", "code": "..."}`.
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

/** 401: no key, or one the API does not accept (`missing`, `invalid`, `revoked`, `expired`...). */
export class AuthenticationError extends KeywardApiError {
	override readonly name: string = 'AuthenticationError'
}

/** 403: the key is valid but lacks a scope the endpoint requires (`insufficient_scope`). */
export class PermissionError extends KeywardApiError {
	override readonly name: string = 'PermissionError'
}

/** 429: the key's quota is used up (`quota_exceeded`). */
export class QuotaExceededError extends KeywardApiError {
	override readonly name: string = 'QuotaExceededError'
	/** When requests are allowed again: from `Retry-After`, else the RateLimit reset. */
	readonly resetAt: Date | undefined

	constructor(init: KeywardApiErrorInit & { nowMs: number }) {
		super(init)
		this.resetAt =
			init.retryAfterMs !== undefined ? new Date(init.nowMs + init.retryAfterMs) : init.quota?.resetAt
	}
}

/** 503: the API cannot authenticate right now (`unavailable`); worth retrying later. */
export class ServiceUnavailableError extends KeywardApiError {
	override readonly name: string = 'ServiceUnavailableError'
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
	const detail =
		typeof fields.detail === 'string' && fields.detail !== ''
			? fields.detail
			: response.statusText || `HTTP ${response.status}`
	const init: KeywardApiErrorInit = {
		status: response.status,
		code: redact(typeof fields.code === 'string' && fields.code !== '' ? fields.code : 'http_error', apiKey),
		detail: redact(detail, apiKey),
		headers: response.headers,
		quota: parseRateLimit(response.headers, nowMs),
		retryAfterMs: parseRetryAfter(response.headers.get('Retry-After'), nowMs),
	}
	switch (response.status) {
		case 401:
			return new AuthenticationError(init)
		case 403:
			return new PermissionError(init)
		case 429:
			return new QuotaExceededError({ ...init, nowMs })
		case 503:
			return new ServiceUnavailableError(init)
		default:
			return new KeywardApiError(init)
	}
}
