import type { IncomingMessage } from 'node:http'
import { KeyManagementRefusal } from './key-management-policy.js'
import {
	hasRequestBody,
	isJsonMediaType,
	mediaTypeOf,
	type RequestBody,
	readRequestBody,
} from './request-body.js'

/** Largest key-management request body read. */
export const KEY_MANAGEMENT_BODY_LIMIT = 16_384

/**
 * A request body as {@link readKeyManagementBodyFrom} reads it: Node's stream
 * ({@link readKeyManagementBody} builds this one) or a Web `Request`'s.
 */
export interface BodySource {
	/** Whether the request has a body (Node: a length or chunked transfer; Web: a `body` stream). */
	readonly hasBody: boolean
	/** The media type, lowercase and without parameters (`application/json`); `''` when absent. */
	readonly mediaType: string
	/** Whether something read the body already (Node's `readableEnded`, a Web request's `bodyUsed`). */
	readonly consumed: boolean
	/** Read at most `limitBytes` of the body as UTF-8 text, never past the limit. */
	read(limitBytes: number): Promise<RequestBody>
}

const refuse = (status: number, code: string, detail: string) =>
	new KeyManagementRefusal(status, code, detail)

/**
 * The JSON object body of a key-management call, from any {@link BodySource}: `parsed` when the
 * host's body parser left one, else read here (at most 16 KiB, never past it); `{}` without a
 * body. Bad bodies throw a {@link KeyManagementRefusal} (400, 413, 415); after a 413 the adapter
 * closes the connection, since the rest of the body was never read.
 * @example
 * const source = { hasBody: request.body !== null, mediaType, consumed: request.bodyUsed, read }
 * const body = () => readKeyManagementBodyFrom(source, undefined)
 */
export async function readKeyManagementBodyFrom(
	source: BodySource,
	parsed: unknown,
): Promise<Record<string, unknown>> {
	let value = parsed
	if (value === undefined) {
		if (!source.hasBody) return {}
		if (!isJsonMediaType(source.mediaType))
			throw refuse(415, 'unsupported_media_type', 'Send the body as application/json')
		// Something read the stream without leaving a parsed body: what was sent is unknown.
		if (source.consumed)
			throw refuse(400, 'invalid_argument', 'The request body was already read by another middleware')
		const body = await source.read(KEY_MANAGEMENT_BODY_LIMIT)
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

/**
 * The JSON object body of a key-management call on a Node request: `parsed` when the host's body
 * parser left one (Express `req.body`, Koa `ctx.request.body`), else read from the stream; see
 * {@link readKeyManagementBodyFrom}.
 */
export function readKeyManagementBody(
	req: IncomingMessage,
	parsed: unknown,
): Promise<Record<string, unknown>> {
	return readKeyManagementBodyFrom(
		{
			hasBody: hasRequestBody(req),
			mediaType: mediaTypeOf(req),
			consumed: req.readableEnded,
			read: (limit) => readRequestBody(req, limit),
		},
		parsed,
	)
}
