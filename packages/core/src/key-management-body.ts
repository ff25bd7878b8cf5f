import type { IncomingMessage } from 'node:http'
import { KeyManagementRefusal } from './key-management-policy.js'
import { hasRequestBody, isJsonMediaType, mediaTypeOf, readRequestBody } from './request-body.js'

/** Largest key-management request body read. */
export const KEY_MANAGEMENT_BODY_LIMIT = 16_384

const refuse = (status: number, code: string, detail: string) =>
	new KeyManagementRefusal(status, code, detail)

/**
 * The JSON object body of a key-management call: `parsed` when the host's body parser left one
 * (Express `req.body`, Koa `ctx.request.body`), else read here (at most 16 KiB, never past it);
 * `{}` without a body. Bad bodies throw a {@link KeyManagementRefusal} (400, 413, 415); after a
 * 413 the adapter closes the connection, since the rest of the body was never read.
 */
export async function readKeyManagementBody(
	req: IncomingMessage,
	parsed: unknown,
): Promise<Record<string, unknown>> {
	let value = parsed
	if (value === undefined) {
		if (!hasRequestBody(req)) return {}
		if (!isJsonMediaType(mediaTypeOf(req)))
			throw refuse(415, 'unsupported_media_type', 'Send the body as application/json')
		// Something read the stream without leaving a parsed body: what was sent is unknown.
		if (req.readableEnded)
			throw refuse(400, 'invalid_argument', 'The request body was already read by another middleware')
		const body = await readRequestBody(req, KEY_MANAGEMENT_BODY_LIMIT)
		if (!body.ok) {
			if (body.reason === 'too_large') throw refuse(413, 'payload_too_large', 'Request body too large')
			throw refuse(400, 'invalid_argument', 'The request body was cut off')
		}
		if (body.text.trim() === '') return {}
		try {
			value = JSON.parse(body.text)
		} catch {
			throw refuse(400, 'invalid_json', 'Request body is not valid JSON')
		}
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value))
		throw refuse(400, 'invalid_argument', 'The body must be a JSON object')
	return value as Record<string, unknown>
}
