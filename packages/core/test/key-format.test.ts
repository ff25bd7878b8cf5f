import { crc32 } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
	BODY_LENGTH,
	generateId,
	generateKey,
	keyPattern,
	parseKey,
	randomBase62,
} from '../src/key-format.js'

const BASE62 = /^[0-9A-Za-z]+$/

describe('key format', () => {
	it('generates <prefix>_<36 base62> keys that parse', () => {
		const key = generateKey()
		expect(key).toMatch(/^kw_[0-9A-Za-z]{36}$/)
		expect(parseKey(key)).toEqual({ prefix: 'kw', environment: null, body: key.slice(3) })
	})

	it('carries an environment marker', () => {
		const key = generateKey('acme', 'live')
		expect(key.startsWith('acme_live_')).toBe(true)
		expect(parseKey(key, 'acme')?.environment).toBe('live')
		expect(parseKey(key, 'kw')).toBeNull()
	})

	it('ids are 12 base62 characters and unique', () => {
		const ids = new Set(Array.from({ length: 1000 }, generateId))
		expect(ids.size).toBe(1000)
		for (const id of ids) expect(id).toMatch(/^[0-9A-Za-z]{12}$/)
	})

	it('random bodies use the whole alphabet about evenly (no modulo bias)', () => {
		const counts = new Map<string, number>()
		const text = randomBase62(62_000)
		for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1)
		expect(counts.size).toBe(62)
		for (const n of counts.values()) expect(n).toBeGreaterThan(800)
	})

	it('rejects wrong prefixes, lengths, characters and checksums', () => {
		const key = generateKey()
		expect(parseKey(`${key}0`)).toBeNull()
		expect(parseKey(key.slice(0, -1))).toBeNull()
		expect(parseKey(`x${key.slice(1)}`)).toBeNull()
		expect(parseKey(key.replace('kw_', 'kw-'))).toBeNull()
		expect(parseKey(`${key.slice(0, 10)}-${key.slice(11)}`)).toBeNull()
		expect(parseKey(`kw_LIVE_${key.slice(3)}`)).toBeNull()
		expect(parseKey(`kw_live_${key.slice(3)}`)).toBeNull() // checksum covers the environment
		expect(parseKey('')).toBeNull()
		expect(parseKey(undefined)).toBeNull()
		expect(parseKey(42)).toBeNull()
		expect(parseKey('kw_'.padEnd(10_000, 'a'))).toBeNull()
	})

	it('property: generated keys always parse and match the scanner regex', () => {
		fc.assert(
			fc.property(
				fc.constantFrom(null, 'live', 'test', 'staging2'),
				fc.constantFrom('kw', 'acme', 'x1'),
				(env, prefix) => {
					const key = generateKey(prefix, env)
					expect(parseKey(key, prefix)).not.toBeNull()
					expect(keyPattern(prefix).test(`token=${key};`)).toBe(true)
					expect(key.slice(-BODY_LENGTH)).toMatch(BASE62)
				},
			),
			{ numRuns: 300 },
		)
	})

	it('property: a key with any one character changed is never accepted', () => {
		fc.assert(
			fc.property(fc.nat(), fc.string({ minLength: 1, maxLength: 1 }), (position, replacement) => {
				const key = generateKey()
				const i = position % key.length
				fc.pre(key[i] !== replacement)
				const broken = key.slice(0, i) + replacement + key.slice(i + 1)
				expect(parseKey(broken)).toBeNull()
			}),
			{ numRuns: 2000 },
		)
	})

	it('property: agrees with a plain reading of the format (zlib CRC-32, base62 digits)', () => {
		const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
		const reference = (key: string, prefix: string) => {
			const match = new RegExp(`^${prefix}_(?:([a-z][a-z0-9]{0,15})_)?([0-9A-Za-z]{36})$`).exec(key)
			if (match === null) return 'invalid'
			let crc = crc32(key.slice(0, -6))
			let digits = ''
			for (let i = 0; i < 6; i++) {
				digits = ALPHABET[crc % 62] + digits
				crc = Math.floor(crc / 62)
			}
			return digits === key.slice(-6) ? (match[1] ?? null) : 'invalid'
		}
		const parsed = (key: string, prefix: string) => {
			const result = parseKey(key, prefix)
			return result === null ? 'invalid' : result.environment
		}
		fc.assert(
			fc.property(
				fc.constantFrom('kw', 'acme', 'ключ', 'k\u00e9y'),
				fc.constantFrom(null, 'live', 'test'),
				fc.nat(),
				fc.constantFrom('', 'a', '0', '_', '\u00e9', ' '),
				(prefix, environment, position, replacement) => {
					const key = generateKey(prefix, environment)
					expect(parseKey(key, prefix)?.environment).toBe(environment)
					const i = position % key.length
					const changed = key.slice(0, i) + replacement + key.slice(i + 1)
					expect(parsed(changed, prefix)).toBe(reference(changed, prefix))
				},
			),
			{ numRuns: 3000 },
		)
	})

	it('property: parsing never throws and only accepts checksum-valid text', () => {
		fc.assert(
			fc.property(fc.string({ unit: 'grapheme', maxLength: 120 }), (text) => {
				const parsed = parseKey(text)
				if (parsed !== null) expect(keyPattern().test(text)).toBe(true)
			}),
			{ numRuns: 2000 },
		)
		fc.assert(
			fc.property(fc.stringMatching(/^kw_[0-9A-Za-z]{36}$/), (text) => {
				// A random well-formed string passes the 32-bit checksum with probability 2^-32.
				expect(parseKey(text)).toBeNull()
			}),
			{ numRuns: 2000 },
		)
	})

	it('scanner regex finds keys inside text and ignores lookalikes', () => {
		const a = generateKey()
		const b = generateKey('kw', 'test')
		const text = `export KEY=${a}\nother: ${b}, not: kw_short, ${a}x`
		expect(text.match(keyPattern('kw', 'g'))).toEqual([a, b])
	})
})
