import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generateKey } from '../src/key-format.js'
import { createKeyward } from '../src/keyward.js'
import { MAX_LEGACY_KEY_LENGTH, resolveLegacyFormats } from '../src/legacy-format.js'
import { MemoryStore } from '../src/memory-store.js'
import { forwardingStore } from '../src/testing/stores.js'
import { setup } from './helpers.js'

const tiledKey = () => randomBytes(32).toString('hex')
const dlubalKey = () => `ak-${randomBytes(24).toString('base64url')}`
const DLUBAL = { name: 'dlubal', pattern: /ak-[A-Za-z0-9_-]{32,64}/ }

describe('legacyFormats option', () => {
	it('refuses, at start-up, patterns that match the empty string, keyward keys or any text', () => {
		const cases: [unknown, RegExp][] = [
			[[/.*/], /"legacy-1" matches the empty string/],
			[[/(?:)/], /matches the empty string/],
			[[{ name: 'x', pattern: /a*/ }], /"x" matches the empty string/],
			[[/.+/], /matches arbitrary text/],
			[[/[\s\S]{1,}/], /matches arbitrary text/],
			[[/\S{16,}/], /matches arbitrary text/],
			[[/[A-Za-z0-9_]{20,}/], /matches keyward keys/],
			[[/kw_.*/], /matches keyward keys/],
			[['nope'], /unknown preset "nope"/],
			[[42], /each entry is "hex", a RegExp/],
			[['hex', 'hex'], /"hex" is used twice/],
			[[/a{16}/g], /must not have the g or y flag/],
			[[/a{16}/y], /must not have the g or y flag/],
			[[{ name: 'Bad Name', pattern: /a{16}/ }], /format name is/],
			[[{ name: 'sha256', pattern: /a{16}/ }], /"sha256" is reserved/],
			[[{ name: 'keyward', pattern: /a{16}/ }], /"keyward" is reserved/],
			[[{ name: 'x', pattern: 'a{16}' }], /needs a RegExp pattern/],
			[[{ name: 'x', pattern: /a{16}/, hintLength: 0 }], /hintLength of "x"/],
			[[{ name: 'x', pattern: /a{16}/, hintLength: 17 }], /hintLength of "x"/],
			[[{ name: 'x', pattern: /a{16}/, hint: 4 }], /unknown field "hint"/],
			['hex', /expected an array/],
			[Array.from({ length: 17 }, (_, i) => ({ name: `f${i}`, pattern: /a{16}/ })), /at most 16/],
		]
		for (const [legacyFormats, message] of cases) {
			expect(() => createKeyward({ legacyFormats: legacyFormats as never }), String(legacyFormats)).toThrow(
				expect.objectContaining({ code: 'invalid_option', message: expect.stringMatching(message) }),
			)
		}
		// Checked against the configured prefix and environment.
		expect(() => createKeyward({ prefix: 'acme', legacyFormats: [/acme_live_\w+/] })).toThrow(
			/matches keyward keys/,
		)
		expect(() => createKeyward({ legacyFormats: [/acme_live_\w+/] })).not.toThrow()
	})

	it('is known to the unknown-option check, with a did-you-mean', () => {
		expect(() => createKeyward({ legacyFormat: ['hex'] } as never)).toThrow(/did you mean "legacyFormats"/)
	})

	it('matches whole keys only: the pattern is anchored, length and characters bounded', () => {
		const formats = resolveLegacyFormats(['hex', DLUBAL], 'kw', null)
		expect(formats?.match(tiledKey())?.name).toBe('hex')
		expect(formats?.match(dlubalKey())?.name).toBe('dlubal')
		for (const text of [
			`x${tiledKey()}`,
			`${tiledKey()} `,
			tiledKey().toUpperCase(),
			'0123456789abcdef', // hex, but shorter than the preset's 32
			`${dlubalKey()}\n`,
			`${dlubalKey()}é`,
			`ak-${'a'.repeat(MAX_LEGACY_KEY_LENGTH)}`,
			generateKey(),
		]) {
			expect(formats?.match(text), text).toBeUndefined()
		}
		// Even a pattern allowing short keys never lets one through.
		expect(resolveLegacyFormats([/[0-9a-f]{8,}/], 'kw', null)?.match('0123abcd0123abc')).toBeUndefined()
	})

	it('never throws and never matches what it should not, for any string (property)', () => {
		const formats = resolveLegacyFormats(['hex', DLUBAL], 'kw', null)
		fc.assert(
			fc.property(fc.string({ maxLength: 400 }), (text) => {
				const format = formats?.match(text)
				if (format === undefined) return
				expect(text.length).toBeGreaterThanOrEqual(16)
				expect(text).toMatch(format.name === 'hex' ? /^[0-9a-f]{32,128}$/ : /^ak-[A-Za-z0-9_-]{32,64}$/)
			}),
		)
	})
})

describe('verifying with legacy formats', () => {
	it('a text of no format is still malformed, with no store lookup', async () => {
		let lookups = 0
		const store = new MemoryStore()
		const counted = forwardingStore(store, {
			findByHash: (hash) => {
				lookups++
				return store.findByHash(hash)
			},
		})
		const keyward = createKeyward({ store: counted, usage: store, legacyFormats: ['hex'] })
		const real = generateKey()
		const typo = `${real.slice(0, -1)}${real.endsWith('x') ? 'y' : 'x'}`
		for (const text of ['nope', 'ak-short', 'g'.repeat(64), typo]) {
			expect(await keyward.verifyKey(text)).toMatchObject({ code: 'malformed' })
		}
		expect(lookups).toBe(0)
		expect(await keyward.verifyKey(tiledKey())).toMatchObject({ code: 'invalid' })
		expect(lookups).toBe(1)
	})

	it('without legacyFormats, a legacy key is malformed, as before', async () => {
		const { keyward } = setup()
		expect(await keyward.verifyKey(tiledKey())).toMatchObject({ status: 401, code: 'malformed' })
	})
})
