import type { RequestBody } from '@keyward/core/adapter'
import { type BodySource, mediaTypeOf } from '@keyward/core/adapter'
import type { RequestView } from './request-view.js'

const TOO_LARGE: RequestBody = Object.freeze({ ok: false, reason: 'too_large' })
const ABORTED: RequestBody = Object.freeze({ ok: false, reason: 'aborted' })

/**
 * Read at most `limitBytes` of a Web request's body as UTF-8 text. An announced length over the
 * limit is refused unread; a streamed body is cancelled as soon as it passes the limit, so an
 * endless body costs no more than the limit.
 * @example
 * const body = await readWebRequestBody(request, 16_384)
 * if (!body.ok) return new Response(null, { status: body.reason === 'too_large' ? 413 : 400 })
 */
export async function readWebRequestBody(request: Request, limitBytes: number): Promise<RequestBody> {
	if (Number(request.headers.get('content-length') ?? 0) > limitBytes) return TOO_LARGE
	if (request.bodyUsed) return ABORTED
	if (request.body === null) return { ok: true, text: '' }
	const reader = request.body.getReader()
	const decoder = new TextDecoder()
	let text = ''
	let size = 0
	try {
		for (;;) {
			const { done, value } = await reader.read()
			if (done) return { ok: true, text: text + decoder.decode() }
			size += value.byteLength
			if (size > limitBytes) {
				reader.cancel().catch(() => undefined)
				return TOO_LARGE
			}
			text += decoder.decode(value, { stream: true })
		}
	} catch {
		return ABORTED
	}
}

/** A Web request's body as core's key manager reads it: there when `body` is not null. */
export function webBodySource(view: RequestView): BodySource {
	const { request } = view
	return {
		hasBody: request.body !== null,
		mediaType: mediaTypeOf(view),
		consumed: request.bodyUsed,
		read: (limit) => readWebRequestBody(request, limit),
	}
}
