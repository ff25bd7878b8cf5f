import type { Keyward } from './keyward.js'

/**
 * A function that takes credentials out of a log line about to be written: the keyward's query
 * parameter leaves every URL in the text (as it leaves the URL handlers see), and anything shaped
 * like one of its keys becomes `[REDACTED]`. For loggers that copy the URL before authentication
 * ran and so never see the hidden one: Fastify's "incoming request" line, Hono's `logger()`.
 * @example
 * const redact = createLogRedactor(keyward)
 * redact('GET /items?api_key=kw_...&page=2') // 'GET /items?page=2'
 */
export function createLogRedactor(
	keyward: Pick<Keyward, 'hideQueryCredentials' | 'keyPattern'>,
): (text: string) => string {
	const { hideQueryCredentials } = keyward
	// A log line is not parsed: key text glued to other text (`%20kw_...`) or with an encoded
	// separator (`kw%5F...`) is redacted too.
	const source = keyward.keyPattern.source.replace(/^\\b|\\b$/g, '').replaceAll('_', '(?:_|%5[Ff])')
	const keyShaped = new RegExp(source, 'g')
	return function redactLogLine(text) {
		// A URL holds no whitespace, quotes or angle brackets: each such run with a `?` may be one.
		const hidden = text.includes('?') ? text.replace(/[^\s?'"<>]*\?[^\s'"<>]*/g, hideQueryCredentials) : text
		return hidden.replace(keyShaped, '[REDACTED]')
	}
}
