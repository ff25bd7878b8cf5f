import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generateKey } from '../src/key-format.js'
import { redactHeaders, redactText, redactUrl } from '../src/redact.js'

describe('redaction helpers', () => {
	const key = generateKey()

	it('hides key-shaped text', () => {
		expect(redactText(`a ${key} b ${key}`)).toBe('a [REDACTED] b [REDACTED]')
		expect(redactText('nothing here')).toBe('nothing here')
		const acme = generateKey('acme', 'live')
		expect(redactText(acme, { prefix: 'acme', replacement: '***' })).toBe('***')
	})

	it('hides query credentials in every spelling and keeps the rest', () => {
		expect(redactUrl(`/x?page=2&api_key=${key}#top`)).toBe('/x?page=2&api_key=[REDACTED]#top')
		expect(redactUrl('/x?API_KEY=typo&api%5Fkey=x&api_key[]=y')).toBe(
			'/x?API_KEY=[REDACTED]&api%5Fkey=[REDACTED]&api_key[]=[REDACTED]',
		)
		expect(redactUrl(`/x/${key}`)).toBe('/x/[REDACTED]')
		expect(redactUrl('/x?a=%E0%A4%A')).toBe('/x?a=%E0%A4%A')
		expect(redactUrl('/x')).toBe('/x')
	})

	it('hides credential headers and key-shaped values in others', () => {
		const headers = {
			authorization: `Apikey ${key}`,
			'X-Api-Key': key,
			accept: 'json',
			'x-note': [`k=${key}`],
			n: 5,
		}
		expect(redactHeaders(headers)).toEqual({
			authorization: '[REDACTED]',
			'X-Api-Key': '[REDACTED]',
			accept: 'json',
			'x-note': ['k=[REDACTED]'],
			n: 5,
		})
		expect(headers.authorization).toBe(`Apikey ${key}`)
	})

	it('property: a key never survives redaction of a URL built around it', () => {
		fc.assert(
			fc.property(
				fc.string(),
				fc.string(),
				fc.constantFrom('api_key', 'q', 'API_KEY'),
				(before, after, name) => {
					const url = `/p/${encodeURIComponent(before)}?${name}=${key}&z=${encodeURIComponent(after)}`
					expect(redactUrl(url)).not.toContain(key)
				},
			),
		)
	})
})
