import { keyPattern } from './key-format.js'

/** Options of the redaction helpers. */
export interface RedactOptions {
	/** Key prefix to look for. @defaultValue 'kw' */
	prefix?: string | undefined
	/** Query parameters whose values are always hidden. @defaultValue ['api_key'] */
	queryParams?: readonly string[] | undefined
	/** Headers whose values are always hidden (lowercase). @defaultValue ['authorization', 'x-api-key', 'cookie', 'proxy-authorization'] */
	headers?: readonly string[] | undefined
	/** Replacement text. @defaultValue '[REDACTED]' */
	replacement?: string | undefined
}

const DEFAULT_HEADERS = ['authorization', 'x-api-key', 'cookie', 'proxy-authorization']

/**
 * Hide credentials in free text: anything that looks like a key of this prefix is replaced.
 * @example redactText(`failed for ${key}`) // 'failed for [REDACTED]'
 */
export function redactText(text: string, options: Readonly<RedactOptions> = {}): string {
	return text.replace(keyPattern(options.prefix ?? 'kw', 'g'), options.replacement ?? '[REDACTED]')
}

/**
 * Hide credentials in a URL for logs: values of the key query parameters (in any spelling:
 * `api%5Fkey`, `api_key[]`) and anything shaped like a key.
 * @example redactUrl('/x?api_key=kw_...&page=2') // '/x?api_key=[REDACTED]&page=2'
 */
export function redactUrl(url: string, options: Readonly<RedactOptions> = {}): string {
	const replacement = options.replacement ?? '[REDACTED]'
	const params = (options.queryParams ?? ['api_key']).map((p) => p.toLowerCase())
	const q = url.indexOf('?')
	let out = url
	if (q !== -1) {
		const hash = url.indexOf('#', q)
		const end = hash === -1 ? url.length : hash
		const pairs = url
			.slice(q + 1, end)
			.split('&')
			.map((pair) => {
				const eq = pair.indexOf('=')
				const rawName = eq === -1 ? pair : pair.slice(0, eq)
				let name = rawName
				try {
					name = decodeURIComponent(rawName.replace(/\+/g, ' '))
				} catch {
					// Undecodable names are compared as they are.
				}
				const base = name.toLowerCase().replace(/\[.*$/, '')
				return params.includes(base) && eq !== -1 ? `${rawName}=${replacement}` : pair
			})
		out = `${url.slice(0, q)}?${pairs.join('&')}${url.slice(end)}`
	}
	return redactText(out, options)
}

/**
 * Copy of a header object with credential headers hidden, for loggers (pino serializers, morgan tokens).
 * @example pino({ serializers: { req: (req) => ({ ...req, headers: redactHeaders(req.headers) }) } })
 */
export function redactHeaders<T extends Record<string, unknown>>(
	headers: T,
	options: Readonly<RedactOptions> = {},
): T {
	const hidden = options.headers ?? DEFAULT_HEADERS
	const replacement = options.replacement ?? '[REDACTED]'
	const out: Record<string, unknown> = {}
	for (const [name, value] of Object.entries(headers)) {
		if (hidden.includes(name.toLowerCase())) out[name] = replacement
		else if (typeof value === 'string') out[name] = redactText(value, options)
		else if (Array.isArray(value))
			out[name] = value.map((v) => (typeof v === 'string' ? redactText(v, options) : v))
		else out[name] = value
	}
	return out as T
}
