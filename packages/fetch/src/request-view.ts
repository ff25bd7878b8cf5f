import type { NodeRequest } from '@keyward/core/adapter'

/** A Node-style header record read through to a Web `Headers`, one name at a time. */
const NODE_HEADERS: ProxyHandler<Headers> = {
	get(headers, name) {
		if (typeof name !== 'string') return undefined
		let value: string | null
		try {
			value = headers.get(name)
		} catch {
			// Not a header name at all.
			return undefined
		}
		if (value === null) return undefined
		if (name !== 'authorization') return value
		// `Headers` joins repeated fields with ", "; Node keeps only the first Authorization and core
		// finds the others in `rawHeaders`, where this view reports them.
		const comma = value.indexOf(', ')
		return comma === -1 ? value : value.slice(0, comma)
	},
}

/**
 * A Web `Request` as core reads it: its headers through a Node-style record (no copy is made:
 * core reads two or three names), its URL (absolute, as the Web gives it; core's query parsing
 * and hiding work on it unchanged) and its method.
 *
 * Repeated headers: a Web `Headers` has only one value per name, the repeated ones joined with
 * ", ". An `x-api-key` holding a comma is refused by core as ambiguous, as on Node. For
 * `Authorization`, the first value is the header and every value counts as one raw header, so two
 * `Authorization: Apikey` headers are refused as ambiguous, never picked. A single Authorization
 * that itself holds ", " after the scheme (never a valid key) is refused as ambiguous too, where
 * Node would say malformed: a 401 either way.
 */
export class RequestView implements NodeRequest {
	readonly request: Request
	readonly headers: Record<string, string | undefined>
	readonly url: string

	constructor(request: Request) {
		this.request = request
		this.headers = new Proxy(request.headers, NODE_HEADERS) as unknown as Record<string, string | undefined>
		this.url = request.url
	}

	get method(): string {
		return this.request.method
	}

	/** The values of a repeated Authorization header, as Node's raw list; `undefined` when it is not repeated. */
	get rawHeaders(): readonly string[] | undefined {
		const value = this.request.headers.get('authorization')
		if (value === null || !value.includes(', ')) return undefined
		return value.split(', ').flatMap((part) => ['authorization', part])
	}
}
