import { KeywardClientError } from './errors.js'

/** Longest key accepted; far above any keyward key, low enough to refuse pasted documents. */
export const MAX_API_KEY_LENGTH = 1024

/**
 * Checks an API key before it is stored or sent, and returns it without surrounding whitespace
 * (a pasted key often carries a newline, and servers trim it too).
 *
 * Throws `KeywardClientError('invalid_api_key')` when the key is empty, longer than
 * {@link MAX_API_KEY_LENGTH}, or contains anything but visible ASCII characters (whitespace,
 * control characters and non-ASCII text cannot travel in an HTTP header unchanged). The message
 * names `source` and the offending position, never the key.
 *
 * @param key - The candidate key.
 * @param source - Where the key came from, for the message (e.g. `environment variable EXAMPLE_API_KEY`).
 * @example const key = normalizeApiKey(process.argv[2] ?? '', 'the command line')
 */
export function normalizeApiKey(key: string, source = 'the argument'): string {
	if (typeof key !== 'string') {
		throw new KeywardClientError('invalid_api_key', `The API key from ${source} is not a string.`)
	}
	const trimmed = key.trim()
	if (trimmed.length === 0) {
		throw new KeywardClientError('invalid_api_key', `The API key from ${source} is empty.`)
	}
	if (trimmed.length > MAX_API_KEY_LENGTH) {
		throw new KeywardClientError(
			'invalid_api_key',
			`The API key from ${source} is longer than ${MAX_API_KEY_LENGTH} characters.`,
		)
	}
	for (let i = 0; i < trimmed.length; i++) {
		const code = trimmed.charCodeAt(i)
		if (code < 0x21 || code > 0x7e) {
			const what =
				code === 0x0a || code === 0x0d
					? 'a line break'
					: code === 0x20 || code === 0x09
						? 'whitespace'
						: code < 0x20 || code === 0x7f
							? 'a control character'
							: 'a non-ASCII character'
			throw new KeywardClientError(
				'invalid_api_key',
				`The API key from ${source} contains ${what} at position ${i + 1}; an API key is a single word of visible ASCII characters.`,
			)
		}
	}
	return trimmed
}
