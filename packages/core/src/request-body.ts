import type { IncomingMessage } from 'node:http'

/** Outcome of {@link readRequestBody}. */
export type RequestBody =
	| { readonly ok: true; readonly text: string }
	/** `too_large`: answer 413 and close the connection; `aborted`: the client went away or read twice. */
	| { readonly ok: false; readonly reason: 'too_large' | 'aborted' }

const TOO_LARGE = Object.freeze({ ok: false, reason: 'too_large' } as const)
const ABORTED = Object.freeze({ ok: false, reason: 'aborted' } as const)

/** Anything with Node-style request headers. */
export interface WithHeaders {
	readonly headers: Readonly<Record<string, string | string[] | undefined>>
}

/** `true` when the request announces a body (a non-zero length, or chunked transfer). */
export function hasRequestBody(req: WithHeaders): boolean {
	const length = req.headers['content-length']
	return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

/** The media type of the request (`application/json`), lowercase, without parameters; `''` when absent. */
export function mediaTypeOf(req: WithHeaders): string {
	const type = req.headers['content-type']
	return typeof type === 'string' ? (type.split(';')[0]?.trim().toLowerCase() ?? '') : ''
}

/** `true` for `application/json` and `application/<anything>+json`. */
export function isJsonMediaType(type: string): boolean {
	return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))
}

/** Outcome of {@link readRequestBytes}. */
export type RequestBytes =
	| { readonly ok: true; readonly bytes: Buffer }
	| { readonly ok: false; readonly reason: 'too_large' | 'aborted' }

/**
 * Read at most `limitBytes` of the request body as UTF-8 text. Past the limit (announced or
 * streamed) reading stops at once: the rest is never read, so an endless body costs nothing, and
 * the caller answers 413 with `Connection: close`, which makes Node drop the connection.
 * @example
 * const body = await readRequestBody(req, 16_384)
 * if (!body.ok) return reply(body.reason === 'too_large' ? 413 : 400)
 */
export async function readRequestBody(req: IncomingMessage, limitBytes: number): Promise<RequestBody> {
	const body = await readRequestBytes(req, limitBytes)
	return body.ok ? { ok: true, text: body.bytes.toString('utf8') } : body
}

/**
 * {@link readRequestBody} without decoding: the body exactly as sent, for a signature over its
 * bytes. The same limit rules apply.
 */
export function readRequestBytes(req: IncomingMessage, limitBytes: number): Promise<RequestBytes> {
	if (Number(req.headers['content-length'] ?? 0) > limitBytes) return Promise.resolve(TOO_LARGE)
	if (req.readableEnded) return Promise.resolve(ABORTED)
	return new Promise((resolve) => {
		const chunks: Buffer[] = []
		let size = 0
		const settle = (result: RequestBytes) => {
			req.off('data', onData)
			req.off('end', onEnd)
			req.off('error', onAborted)
			req.off('close', onAborted)
			resolve(result)
		}
		const onData = (chunk: Buffer) => {
			size += chunk.length
			if (size <= limitBytes) chunks.push(chunk)
			else {
				req.pause()
				settle(TOO_LARGE)
			}
		}
		const onEnd = () => settle({ ok: true, bytes: Buffer.concat(chunks) })
		// A client that goes away mid-body never sends 'end'; without this the caller would wait forever.
		const onAborted = () => settle(ABORTED)
		req.on('data', onData)
		req.on('end', onEnd)
		req.on('error', onAborted)
		req.on('close', onAborted)
	})
}
