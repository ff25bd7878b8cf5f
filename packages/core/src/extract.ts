import type { RequestLike } from './types.js'

/** Where keys may come from. Options are resolved once, when the keyward is created. */
export interface ExtractOptions {
	/** `Authorization` schemes keyward owns, matched case-insensitively. `[]` turns the header off. @defaultValue ['Apikey'] */
	schemes?: readonly string[] | undefined
	/** Custom headers carrying the bare key. @defaultValue ['x-api-key'] */
	headers?: readonly string[] | undefined
	/** Query parameter carrying the key, or `false` to ignore the query. @defaultValue 'api_key' */
	query?: string | false | undefined
}

/** {@link ExtractOptions} with the defaults filled in: where a keyward reads keys. */
export interface ExtractSettings {
	readonly schemes: readonly string[]
	readonly headers: readonly string[]
	readonly query: string | false
}

/** The settings `options` stand for, defaults included. */
export function extractSettings(options: Readonly<ExtractOptions> = {}): ExtractSettings {
	return Object.freeze({
		schemes: Object.freeze([...(options.schemes ?? ['Apikey'])]),
		headers: Object.freeze([...(options.headers ?? ['x-api-key'])]),
		query: options.query ?? 'api_key',
	})
}

/** Where a key was found. */
export type KeySource = 'authorization' | 'header' | 'query'

/** Outcome of extraction. `malformed` means a credential was present but unusable (e.g. empty). */
export type Extraction =
	| { kind: 'none' }
	| { kind: 'ambiguous' }
	| { kind: 'malformed'; source: KeySource; header?: string | undefined }
	| { kind: 'key'; key: string; source: KeySource; header?: string | undefined }

/** Extracts a key from a request; see {@link ExtractOptions} for the sources. */
export interface Extractor {
	(req: RequestLike): Extraction
	/**
	 * The same, with `req.headers` and `req.url` already read: on a framework's request (Express
	 * changes its prototype) every property read costs, and the request path reads each once.
	 */
	read(req: RequestLike, headers: RequestLike['headers'], url: RequestLike['url']): Extraction
	/** Remove the query credential (every spelling of it) from a URL; cheap when absent. */
	stripQuery(url: string): string
}

/** Longest header or query value inspected; longer credentials are refused unread. */
export const MAX_CREDENTIAL_LENGTH = 1024

const NONE: Extraction = Object.freeze({ kind: 'none' })
const AMBIGUOUS: Extraction = Object.freeze({ kind: 'ambiguous' })
const WS = /^[ \t]+|[ \t]+$/g

function isBlank(code: number): boolean {
	return code === 32 || code === 9
}

function trim(value: string): string {
	// Only spaces and tabs: other control or invisible characters make the key malformed, never silently valid.
	// A pasted key rarely has any, so the regex runs only when an end is blank.
	if (value.length === 0 || (!isBlank(value.charCodeAt(0)) && !isBlank(value.charCodeAt(value.length - 1))))
		return value
	return value.replace(WS, '')
}

function decode(part: string): string | null {
	try {
		return decodeURIComponent(part.replace(/\+/g, ' '))
	} catch {
		return null
	}
}

/**
 * Build an extractor. Precedence when reporting the source: `Authorization`, then custom headers
 * in order, then the query. Two different keys anywhere, a repeated header or a repeated query
 * parameter make the request `ambiguous`; the same key in two places is accepted.
 * An `Authorization` header with a scheme keyward does not own is ignored.
 * @example createExtractor({ headers: ['x-api-key'], query: false })(req)
 */
export function createExtractor(options: Readonly<ExtractOptions> = {}): Extractor {
	const schemes = (options.schemes ?? ['Apikey']).map((s) => s.toLowerCase())
	const headerNames = (options.headers ?? ['x-api-key']).map((h) => h.toLowerCase())
	const queryName = options.query === undefined ? 'api_key' : options.query
	const queryNeedle = queryName === false ? '' : queryName

	function isQueryName(rawName: string): 'exact' | 'bracket' | false {
		if (queryName === false) return false
		const name = rawName.includes('%') || rawName.includes('+') ? decode(rawName) : rawName
		if (name === null) return false
		if (name === queryName) return 'exact'
		return name.startsWith(`${queryName}[`) ? 'bracket' : false
	}

	function fromQuery(url: string): Extraction | undefined {
		const q = url.indexOf('?')
		const hash = url.indexOf('#')
		// A `?` inside the fragment does not start a query.
		if (q === -1 || (hash !== -1 && hash < q)) return undefined
		const query = url.slice(q + 1, hash === -1 ? undefined : hash)
		let found: Extraction | undefined
		for (const pair of query.split('&')) {
			const eq = pair.indexOf('=')
			const kind = isQueryName(eq === -1 ? pair : pair.slice(0, eq))
			if (kind === false) continue
			if (found !== undefined) return AMBIGUOUS
			const raw = eq === -1 ? '' : pair.slice(eq + 1)
			const value = raw.length > MAX_CREDENTIAL_LENGTH * 3 ? null : decode(raw)
			const key = value === null ? '' : trim(value)
			found =
				kind === 'bracket' || key === '' || key.length > MAX_CREDENTIAL_LENGTH
					? { kind: 'malformed', source: 'query' }
					: { kind: 'key', key, source: 'query' }
		}
		return found
	}

	function countAuthorization(raw: readonly string[] | undefined): number {
		if (raw === undefined) return 1
		let n = 0
		for (let i = 0; i < raw.length; i += 2) {
			const name = raw[i] as string
			if (name.length === 13 && name.toLowerCase() === 'authorization') n++
		}
		return n
	}

	function fromAuthorization(req: RequestLike, headers: RequestLike['headers']): Extraction | undefined {
		const value = headers.authorization
		if (typeof value !== 'string' || schemes.length === 0) return undefined
		const v = trim(value)
		const space = v.search(/[ \t]/)
		const scheme = (space === -1 ? v : v.slice(0, space)).toLowerCase()
		if (!schemes.includes(scheme)) return undefined
		// Node keeps only the first of repeated Authorization headers; the raw list shows the rest.
		if (countAuthorization(req.rawHeaders) > 1) return AMBIGUOUS
		const key = space === -1 ? '' : trim(v.slice(space))
		if (key === '' || key.length > MAX_CREDENTIAL_LENGTH || /[ \t]/.test(key)) {
			return { kind: 'malformed', source: 'authorization' }
		}
		return { kind: 'key', key, source: 'authorization' }
	}

	function fromHeader(headers: RequestLike['headers'], name: string): Extraction | undefined {
		const value = headers[name]
		if (value === undefined) return undefined
		// Repeated headers arrive as an array or joined with ", "; keys never contain commas.
		if (typeof value !== 'string' || value.includes(',')) return AMBIGUOUS
		const key = trim(value)
		if (key === '' || key.length > MAX_CREDENTIAL_LENGTH)
			return { kind: 'malformed', source: 'header', header: name }
		return { kind: 'key', key, source: 'header', header: name }
	}

	function merge(a: Extraction | undefined, b: Extraction | undefined): Extraction | undefined {
		if (a === undefined) return b
		if (b === undefined) return a
		if (a.kind === 'ambiguous' || b.kind === 'ambiguous') return AMBIGUOUS
		if (a.kind === 'key' && b.kind === 'key' && a.key === b.key) return a
		return AMBIGUOUS
	}

	function read(req: RequestLike, headers: RequestLike['headers'], url: RequestLike['url']): Extraction {
		let found = fromAuthorization(req, headers)
		for (const name of headerNames) {
			const next = fromHeader(headers, name)
			if (next !== undefined) found = merge(found, next)
		}
		if (queryName !== false && typeof url === 'string' && url.includes(queryNeedle)) {
			found = merge(found, fromQuery(url))
		} else if (queryName !== false && typeof url === 'string' && url.includes('%')) {
			// The parameter name may be percent-encoded (`api%5Fkey`).
			found = merge(found, fromQuery(url))
		}
		return found ?? NONE
	}

	function stripQuery(url: string): string {
		if (queryName === false) return url
		const q = url.indexOf('?')
		const hash = url.indexOf('#')
		if (q === -1 || (hash !== -1 && hash < q)) return url
		if (!url.includes(queryNeedle) && !url.includes('%')) return url
		const end = hash === -1 ? url.length : hash
		const kept = url
			.slice(q + 1, end)
			.split('&')
			.filter((pair) => {
				const eq = pair.indexOf('=')
				return isQueryName(eq === -1 ? pair : pair.slice(0, eq)) === false
			})
		const rest = hash === -1 ? '' : url.slice(hash)
		return url.slice(0, q) + (kept.length > 0 ? `?${kept.join('&')}` : '') + rest
	}

	const extract = (req: RequestLike): Extraction => read(req, req.headers, req.url)
	return Object.assign(extract, { read, stripQuery })
}
