import type { IncomingMessage } from 'node:http'
import { hasRequestBody, isJsonMediaType, mediaTypeOf, readRequestBody } from '@keyward/core/adapter'

/** What a `POST /token` body may ask for. */
export interface TokenRequest {
	/** Requested scopes; absent: all the key's scopes. */
	scopes?: string[] | undefined
}

/** Largest token request body read; a larger one is a bad request. */
export const MAX_BODY_BYTES = 8192

const EMPTY: TokenRequest = Object.freeze({})

/** `{ scope: 'a b' }` (OAuth style) or `{ scopes: ['a', 'b'] }`; anything else that names scopes is invalid. */
function fromFields(fields: unknown): TokenRequest | null {
	if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return null
	const { scope, scopes } = fields as { scope?: unknown; scopes?: unknown }
	if (scope !== undefined && scopes !== undefined) return null
	if (typeof scope === 'string') return { scopes: scope.split(' ').filter((s) => s.length > 0) }
	if (scope !== undefined) return null
	if (scopes === undefined) return EMPTY
	return Array.isArray(scopes) && scopes.every((s) => typeof s === 'string') ? { scopes } : null
}

function fromText(text: string, type: string): TokenRequest | null {
	if (text.trim().length === 0) return EMPTY
	if (isJsonMediaType(type)) {
		try {
			return fromFields(JSON.parse(text))
		} catch {
			return null
		}
	}
	if (type === 'application/x-www-form-urlencoded') {
		const params = new URLSearchParams(text)
		const fields: Record<string, string> = {}
		for (const name of new Set(params.keys())) {
			const values = params.getAll(name)
			if (values.length > 1) return null // repeated parameters are ambiguous (RFC 6749 §3.2)
			fields[name] = values[0] as string
		}
		return fromFields(fields)
	}
	return null
}

/** A token request that cannot be honoured; `tooLarge`: the rest of the body was never read. */
export interface BadTokenRequest {
	readonly bad: true
	readonly tooLarge: boolean
}

const BAD: BadTokenRequest = Object.freeze({ bad: true, tooLarge: false })
const TOO_LARGE: BadTokenRequest = Object.freeze({ bad: true, tooLarge: true })

/**
 * Read a token request from `req`. `parsed` is a body a body parser already produced (Express
 * `req.body`, Koa `ctx.request.body`); without one the stream is read here, at most
 * {@link MAX_BODY_BYTES} and never past it. JSON and form bodies are understood.
 */
export async function readTokenRequest(
	req: IncomingMessage,
	parsed: unknown,
): Promise<TokenRequest | BadTokenRequest> {
	const type = mediaTypeOf(req)
	if (typeof parsed === 'string') return fromText(parsed, type) ?? BAD
	if (Buffer.isBuffer(parsed)) return fromText(parsed.toString('utf8'), type) ?? BAD
	if (parsed !== undefined) return fromFields(parsed) ?? BAD
	if (!hasRequestBody(req)) return EMPTY
	// Someone else read the body without leaving a parsed copy: what was asked for is unknown.
	if (req.readableEnded) return BAD
	const body = await readRequestBody(req, MAX_BODY_BYTES)
	if (!body.ok) return body.reason === 'too_large' ? TOO_LARGE : BAD
	return fromText(body.text, type) ?? BAD
}
