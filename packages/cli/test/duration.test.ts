import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatDuration, MAX_DURATION_MS, parseDuration } from '../src/duration.js'

describe('parseDuration', () => {
	it('reads single and compound durations', () => {
		expect(parseDuration('600s')).toBe(600_000)
		expect(parseDuration('30d')).toBe(2_592_000_000)
		expect(parseDuration('24h')).toBe(86_400_000)
		expect(parseDuration('2w')).toBe(1_209_600_000)
		expect(parseDuration('1d12h')).toBe(129_600_000)
		expect(parseDuration('1m30s500ms')).toBe(90_500)
		expect(parseDuration('0s')).toBe(0)
		expect(parseDuration('0030m')).toBe(1_800_000)
	})

	it('refuses anything else with a one-line RangeError', () => {
		const bad = [
			'',
			'600',
			'10x',
			'1.5h',
			'-1s',
			'+1s',
			' 1s',
			'1s ',
			'1 s',
			'1S',
			'h',
			'1mo',
			'1y',
			'1d-2h',
			'NaN',
			'Infinity',
		]
		for (const text of bad) expect(() => parseDuration(text), text).toThrow(RangeError)
		expect(() => parseDuration(`${'1s'.repeat(40)}`)).toThrow(/such as/)
		expect(() => parseDuration('36525d1ms')).toThrow(/100 years/)
		expect(() => parseDuration(null as unknown as string)).toThrow(RangeError)
	})

	it('accepts exactly what the grammar allows, and never throws anything but RangeError', () => {
		const alphabet = fc.constantFrom(...'0123456789smhdwx .-+'.split(''))
		fc.assert(
			fc.property(fc.string({ unit: alphabet, maxLength: 24 }), (text) => {
				let result: number | undefined
				try {
					result = parseDuration(text)
				} catch (error) {
					expect(error).toBeInstanceOf(RangeError)
					expect((error as Error).message).not.toContain('\n')
				}
				const wellFormed = /^(?:\d{1,16}(?:ms|s|m|h|d|w))+$/.test(text)
				if (result !== undefined) {
					expect(wellFormed).toBe(true)
					expect(Number.isSafeInteger(result) && result >= 0 && result <= MAX_DURATION_MS).toBe(true)
				}
			}),
			{ numRuns: 2000 },
		)
	})

	it('is the inverse of formatDuration', () => {
		fc.assert(
			fc.property(fc.integer({ min: 0, max: MAX_DURATION_MS }), (ms) => {
				const text = formatDuration(ms)
				expect(parseDuration(text)).toBe(ms)
				expect(text).toMatch(/^(?:\d+(?:d|h|m|s|ms))+$/)
			}),
			{ numRuns: 2000 },
		)
		expect(formatDuration(2_592_000_000)).toBe('30d')
		expect(formatDuration(90_500)).toBe('1m30s500ms')
		for (const bad of [-1, 1.5, Number.NaN]) expect(() => formatDuration(bad)).toThrow(RangeError)
	})
})
