import { keyPattern, parseKey } from '@keyward/core'
import { generateKey } from '@keyward/core/testing'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { keyMatcher, scanStream } from '../src/scan-text.js'

const keys = [
	generateKey('kw'),
	generateKey('kw', 'live'),
	generateKey('kw', 'test'),
	generateKey('sk', 'live'),
]
const lookAlikes = keys.map((key) => `${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`)

/** The reference: every checksum-valid match in the whole text, with its line and column. */
function expected(text: string, prefixes: readonly string[]) {
	const hits = []
	for (const prefix of prefixes) {
		for (const match of text.matchAll(keyPattern(prefix, 'g'))) {
			const parsed = parseKey(match[0], prefix)
			if (parsed === null) continue
			const before = text.slice(0, match.index)
			hits.push({
				line: before.split('\n').length,
				column: match.index - before.lastIndexOf('\n'),
				key: match[0],
				prefix,
				environment: parsed.environment,
				at: match.index,
			})
		}
	}
	return hits.sort((a, b) => a.at - b.at).map(({ at: _, ...hit }) => hit)
}

/** `bytes` cut at the given points: pieces as a file stream would hand them over. */
async function* pieces(bytes: Buffer, cuts: number[]) {
	let from = 0
	for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
		yield bytes.subarray(from, cut)
		from = cut
	}
	yield bytes.subarray(from)
}

describe('scanStream', () => {
	it('finds the same keys at the same places however the text is cut into pieces', async () => {
		const fragment = fc.oneof(
			fc.constantFrom(...keys, ...lookAlikes, '\n', '\r\n', ' ', '_', 'kw_', '=', 'é', '😀', 'x'.repeat(90)),
			fc.string({ maxLength: 20 }),
		)
		await fc.assert(
			fc.asyncProperty(
				fc.array(fragment, { maxLength: 40 }),
				fc.array(fc.nat(), { maxLength: 12 }),
				fc.constantFrom(['kw'], ['kw', 'sk']),
				async (fragments, cuts, prefixes) => {
					const text = fragments.join('').replaceAll('\0', '')
					const found = await scanStream(pieces(Buffer.from(text), cuts), keyMatcher(prefixes))
					expect(found).toEqual(expected(text, prefixes))
				},
			),
			{ numRuns: 400 },
		)
	})

	it('skips text with a NUL byte in its first 8 KiB, and only there', async () => {
		const matcher = keyMatcher(['kw'])
		const early = Buffer.concat([Buffer.alloc(8191, 'a'), Buffer.from([0]), Buffer.from(` ${keys[0]}`)])
		expect(await scanStream(pieces(early, [1, 2, 3, 4096]), matcher)).toBe('binary')
		const late = Buffer.concat([Buffer.alloc(8192, 'a'), Buffer.from([0]), Buffer.from(` ${keys[0]}`)])
		expect(await scanStream(pieces(late, [1, 5000]), matcher)).toEqual([
			{ line: 1, column: 8195, key: keys[0], prefix: 'kw', environment: null },
		])
		expect(await scanStream(pieces(Buffer.from([0x41, 0]), []), matcher)).toBe('binary')
		expect(await scanStream(pieces(Buffer.alloc(0), []), matcher)).toEqual([])
	})
})
