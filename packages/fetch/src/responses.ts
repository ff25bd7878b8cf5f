import type { VerifyFailure } from '@keyward/core'
import { type CredentialHiding, refusalBody } from '@keyward/core/adapter'

/**
 * The Web `Response` of a refusal: its status, its headers (`WWW-Authenticate`, `Retry-After`,
 * RateLimit) and the JSON body `{ detail, code }`.
 * @example
 * if (!result.ok) return refusalResponse(result)
 */
export function refusalResponse(refusal: VerifyFailure): Response {
	return new Response(JSON.stringify(refusalBody(refusal)), {
		status: refusal.status,
		headers: { ...refusal.headers, 'content-type': 'application/json' },
	})
}

/**
 * `request` without the credentials `hide` names: a Web request cannot be edited, so this is a
 * new `Request` with the URL core stripped and without the credential headers, carrying the same
 * method, headers, body and signal. The body moves to the copy: read it from the copy.
 */
export function withoutCredentials(request: Request, hide: CredentialHiding): Request {
	const copy = new Request(hide.url ?? request.url, request)
	for (const name of hide.headers) copy.headers.delete(name)
	return copy
}

/**
 * `response` with `headers` added (the RateLimit headers of a verified request). A response whose
 * headers cannot change (`Response.redirect()`, a `fetch()` answer) is copied first.
 */
export function withHeaders(response: Response, headers: Readonly<Record<string, string>>): Response {
	let target = response
	for (const name in headers) {
		try {
			target.headers.set(name, headers[name] as string)
		} catch {
			target = new Response(response.body, response)
			target.headers.set(name, headers[name] as string)
		}
	}
	return target
}
