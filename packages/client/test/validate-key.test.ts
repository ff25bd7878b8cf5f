import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isKeywardClientError } from '../src/errors.js'
import { MAX_API_KEY_LENGTH, normalizeApiKey } from '../src/validate-key.js'
import { KEY } from './helpers.js'

const visible = fc.string({
	unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)),
	minLength: 1,
	maxLength: 200,
})
const base62 = fc.string({
	unit: fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'),
	minLength: 24,
	maxLength: 60,
})
/** Whitespace, line breaks, control characters and non-ASCII text. */
const bad = fc.oneof(
	fc.constantFrom(' ', '\t', '\n', '\r', '\v', '\f', '\0', '\x1b', '\x7f', '\u00a0', '\u2028', 'é', '🔑'),
	fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)),
)

describe('normalizeApiKey', () => {
	it('accepts any word of visible ASCII unchanged', () => {
		fc.assert(
			fc.property(visible, (key) => {
				expect(normalizeApiKey(key)).toBe(key)
			}),
		)
	})

	it('trims the whitespace around a pasted key', () => {
		expect(normalizeApiKey(`  ${KEY}\r\n`)).toBe(KEY)
		expect(normalizeApiKey(`\t${KEY}\n`)).toBe(KEY)
	})

	it('rejects whitespace or control characters inside a key, without repeating the key', () => {
		fc.assert(
			fc.property(
				base62,
				base62,
				bad,
				fc.constantFrom('the argument', 'environment variable X_KEY'),
				(a, b, c, source) => {
					const key = `kw_${a}${c}${b}`
					let caught: unknown
					try {
						normalizeApiKey(key, source)
					} catch (error) {
						caught = error
					}
					expect(isKeywardClientError(caught, 'invalid_api_key')).toBe(true)
					const message = (caught as Error).message
					expect(message).toContain(source)
					expect(message).toMatch(/whitespace|control character|line break|non-ASCII/)
					expect(message).not.toContain(a)
					expect(message).not.toContain(b)
				},
			),
		)
	})

	it('says what is wrong and where', () => {
		expect(() => normalizeApiKey('kw_abc def', 'the prompt')).toThrow(
			'The API key from the prompt contains whitespace at position 7',
		)
		expect(() => normalizeApiKey('kw_abc\ndef')).toThrow('a line break at position 7')
		expect(() => normalizeApiKey('kw_abc\x00def')).toThrow('a control character at position 7')
		expect(() => normalizeApiKey('kw_abcédef')).toThrow('a non-ASCII character at position 7')
	})

	it('rejects empty, blank and overlong keys, and non-strings', () => {
		for (const key of ['', '   ', '\n']) expect(() => normalizeApiKey(key)).toThrow('is empty')
		expect(() => normalizeApiKey('k'.repeat(MAX_API_KEY_LENGTH + 1))).toThrow('longer than')
		expect(normalizeApiKey('k'.repeat(MAX_API_KEY_LENGTH))).toHaveLength(MAX_API_KEY_LENGTH)
		expect(() => normalizeApiKey(42 as unknown as string)).toThrow('not a string')
	})
})
