import { describe, expect, it } from 'vitest'
import { reportSignature } from '../src/leak-report-format.js'

describe('reportSignature', () => {
	// 72 bytes (the longest DER P-256 signature) are 96 base64 characters with no padding.
	const unpadded = Buffer.alloc(72, 7).toString('base64')
	const padded = Buffer.alloc(71, 7).toString('base64')
	const headers = (signature: string) => ({
		'github-public-key-identifier': 'k1',
		'github-public-key-signature': signature,
	})

	it('reads a signature in whole groups of four base64 characters', () => {
		expect(reportSignature(headers(unpadded))?.signature).toEqual(Buffer.alloc(72, 7))
		expect(reportSignature(headers(padded))?.signature).toEqual(Buffer.alloc(71, 7))
	})

	it('refuses one with characters after the last whole group, which the decoder would drop', () => {
		for (const extra of ['x', 'xy', 'xyz']) expect(reportSignature(headers(`${unpadded}${extra}`))).toBeNull()
		expect(reportSignature(headers(`${padded}x`))).toBeNull()
	})
})
