import type { FetchImplementation } from 'jose'

/** The JWKS response is larger than allowed. The verifier treats it like any other unreadable key set. */
export class JwksTooLarge extends Error {
	override readonly name = 'JwksTooLarge'
}

/** The declared size of a body that arrives as sent; `undefined` when unknown or compressed. */
function declaredLength(response: Response): number | undefined {
	// A compressed body's Content-Length counts compressed bytes, not what would be read and parsed.
	const encoding = response.headers.get('content-encoding')
	if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') return undefined
	const length = response.headers.get('content-length')
	return length !== null && /^\d+$/.test(length.trim()) ? Number(length) : undefined
}

/** Read the whole body, or cancel it (which aborts the request) as soon as it exceeds `maxBytes`. */
async function readAtMost(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
	const reader = body.getReader()
	const chunks: Uint8Array[] = []
	let size = 0
	for (;;) {
		const { done, value } = await reader.read()
		if (done) break
		size += value.byteLength
		if (size > maxBytes) {
			await reader.cancel()
			throw new JwksTooLarge(`JWKS response exceeds ${maxBytes} bytes`)
		}
		chunks.push(value)
	}
	const bytes = new Uint8Array(size)
	let offset = 0
	for (const chunk of chunks) {
		bytes.set(chunk, offset)
		offset += chunk.byteLength
	}
	return bytes
}

/**
 * A fetch for jose's `createRemoteJWKSet` (its `customFetch` option) that reads at most `maxBytes`
 * of a JWKS body, so a hostile or broken key server cannot make the verifier buffer without end.
 * A larger Content-Length is refused before any of the body is read; a longer stream is cut off
 * once the limit is passed. jose's own timeout signal still applies to the whole exchange.
 */
export function createBoundedJwksFetch(maxBytes: number): FetchImplementation {
	return async function fetchJwks(url, init) {
		const response = await fetch(url, init)
		if (response.status !== 200 || response.body === null) {
			// jose refuses anything but 200 without reading it; release the connection here.
			await response.body?.cancel()
			return response
		}
		const declared = declaredLength(response)
		if (declared !== undefined && declared > maxBytes) {
			await response.body.cancel()
			throw new JwksTooLarge(`JWKS response declares ${declared} bytes, more than ${maxBytes}`)
		}
		const bytes = await readAtMost(response.body, maxBytes)
		return new Response(bytes, { status: response.status })
	}
}
