import type { IncomingMessage } from 'node:http'

/** What a `POST /token` body may ask for. */
export interface TokenRequest {
	/** Requested scopes; absent: all the key's scopes. */
	scopes?: string[] | undefined
}

/** Largest token request body read; a larger one is a bad request. */
export const MAX_BODY_BYTES = 8192

const EMPTY: TokenRequest = Object.freeze({})

function mediaType(req: IncomingMessage): string {
	return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
}

function hasBody(req: IncomingMessage): boolean {
	const length = req.headers['content-length']
	return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

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
	if (type === 'application/json' || type.endsWith('+json')) {
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

function readText(req: IncomingMessage): Promise<string | null> {
	const declared = Number(req.headers['content-length'] ?? 0)
	if (declared > MAX_BODY_BYTES) {
		req.resume()
		return Promise.resolve(null)
	}
	return new Promise((resolve) => {
		const chunks: Buffer[] = []
		let size = 0
		let tooLarge = false
		req.on('data', (chunk: Buffer) => {
			size += chunk.length
			if (size > MAX_BODY_BYTES) tooLarge = true
			else chunks.push(chunk)
		})
		req.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks).toString('utf8')))
		req.on('error', () => resolve(null))
		// A client that goes away mid-body never sends 'end'; without this the handler would wait forever.
		req.on('close', () => resolve(null))
	})
}

/**
 * Read a token request from `req`. `parsed` is a body a body parser already produced (Express
 * `req.body`, Koa `ctx.request.body`); without one the stream is read here (at most
 * {@link MAX_BODY_BYTES}). JSON and form bodies are understood; `null` means a bad request.
 */
export async function readTokenRequest(req: IncomingMessage, parsed: unknown): Promise<TokenRequest | null> {
	if (typeof parsed === 'string') return fromText(parsed, mediaType(req))
	if (Buffer.isBuffer(parsed)) return fromText(parsed.toString('utf8'), mediaType(req))
	if (parsed !== undefined) return fromFields(parsed)
	if (!hasBody(req)) return EMPTY
	// Someone else read the body without leaving a parsed copy: what was asked for is unknown.
	if (req.readableEnded) return null
	const text = await readText(req)
	return text === null ? null : fromText(text, mediaType(req))
}
