import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
	formatIni,
	type IniSections,
	isIniKey,
	isIniSectionName,
	isIniValue,
	parseIni,
	removeIniSection,
	setIniValue,
} from '../src/ini.js'

/** Text built from the characters INI cares about, so generated files hit every rule. */
const iniText = fc.oneof(
	fc.string({ unit: 'binary', maxLength: 300 }),
	fc
		.array(
			fc.oneof(
				fc.constantFrom(
					'[',
					']',
					'=',
					'#',
					';',
					' ',
					'\t',
					'\n',
					'\r\n',
					'\r',
					'\uFEFF',
					'a',
					'b',
					'api_key',
					'default',
				),
				fc.string({ maxLength: 5 }),
			),
			{ maxLength: 80 },
		)
		.map((parts) => parts.join('')),
)
const sectionName = fc.string({ minLength: 1, maxLength: 12 }).filter(isIniSectionName)
const iniKey = fc.string({ minLength: 1, maxLength: 12 }).filter(isIniKey)
const iniValue = fc.string({ maxLength: 40 }).filter(isIniValue)
const sections: fc.Arbitrary<IniSections> = fc
	.uniqueArray(
		fc.tuple(sectionName, fc.uniqueArray(fc.tuple(iniKey, iniValue), { selector: ([k]) => k, maxLength: 5 })),
		{
			selector: ([name]) => name,
			maxLength: 6,
		},
	)
	.map((list) => new Map(list.map(([name, entries]) => [name, new Map(entries)])))

/** Comparable form, sorted; arrays rather than objects so names such as `__proto__` stay plain data. */
function plain(parsed: IniSections): [string, [string, string][]][] {
	const byName = (a: [string, unknown], b: [string, unknown]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
	return [...parsed]
		.map(([name, entries]): [string, [string, string][]] => [name, [...entries].sort(byName)])
		.sort(byName)
}

function copy(parsed: IniSections): IniSections {
	return new Map([...parsed].map(([name, entries]) => [name, new Map(entries)]))
}

describe('parseIni', () => {
	it('reads sections, entries and comments', () => {
		const text = [
			'\uFEFF# written by hand',
			'[default]',
			'api_key = kw_one',
			'; another comment',
			'  [ staging ]  ',
			'api_key=kw_two = still the value',
			'region =',
			'not an entry',
			'[broken',
			'api_key = ignored: no section',
			'[default]',
			'api_key = kw_three',
		].join('\r\n')
		expect(plain(parseIni(text))).toEqual([
			['default', [['api_key', 'kw_three']]],
			[
				'staging',
				[
					['api_key', 'kw_two = still the value'],
					['region', ''],
				],
			],
		])
	})

	it('ignores entries before the first section', () => {
		expect(plain(parseIni('api_key = x\n[a]\nk = v'))).toEqual([['a', [['k', 'v']]]])
	})

	it('never throws, whatever the text', () => {
		fc.assert(
			fc.property(iniText, (text) => {
				parseIni(text)
			}),
		)
	})

	it('reads back what formatIni writes', () => {
		fc.assert(
			fc.property(sections, (data) => {
				expect(plain(parseIni(formatIni(data)))).toEqual(plain(data))
			}),
		)
	})

	it('formatIni refuses names that would not read back', () => {
		expect(() => formatIni(new Map([['a\nb', new Map()]]))).toThrow(RangeError)
		expect(() => formatIni(new Map([['a', new Map([['k=', 'v']])]]))).toThrow(RangeError)
		expect(() => formatIni(new Map([['a', new Map([['k', 'v\n[b]']])]]))).toThrow(RangeError)
	})
})

describe('setIniValue', () => {
	it('changes exactly one entry of any file', () => {
		fc.assert(
			fc.property(iniText, sectionName, iniKey, iniValue, (text, name, key, value) => {
				const expected = copy(parseIni(text))
				expected.set(name, new Map(expected.get(name)).set(key, value))
				expect(plain(parseIni(setIniValue(text, name, key, value)))).toEqual(plain(expected))
			}),
		)
	})

	it('keeps comments, order and line breaks', () => {
		const text = '# mine\r\n[default]\r\napi_key = old\r\n# keep me\r\n\r\n[other]\r\nx = 1'
		expect(setIniValue(text, 'default', 'api_key', 'new')).toBe(
			'# mine\r\n[default]\r\napi_key = new\r\n# keep me\r\n\r\n[other]\r\nx = 1',
		)
		expect(setIniValue(text, 'other', 'y', '2')).toBe(`${text}\r\ny = 2`)
		expect(setIniValue(text, 'default', 'region', 'eu')).toBe(
			'# mine\r\n[default]\r\napi_key = old\r\nregion = eu\r\n# keep me\r\n\r\n[other]\r\nx = 1',
		)
	})

	it('appends a new section after a blank line', () => {
		expect(setIniValue('', 'default', 'api_key', 'k')).toBe('[default]\napi_key = k\n')
		expect(setIniValue('[a]\nx = 1', 'b', 'api_key', 'k')).toBe('[a]\nx = 1\n\n[b]\napi_key = k\n')
	})
})

describe('removeIniSection', () => {
	it('removes one section and nothing else, from any file', () => {
		fc.assert(
			fc.property(iniText, sectionName, (text, name) => {
				const expected = copy(parseIni(text))
				expected.delete(name)
				expect(plain(parseIni(removeIniSection(text, name)))).toEqual(plain(expected))
			}),
		)
	})

	it('keeps the comments that introduce the next section', () => {
		const text = '[a]\napi_key = 1\n\n# staging\n[b]\napi_key = 2\n'
		expect(removeIniSection(text, 'a')).toBe('\n# staging\n[b]\napi_key = 2\n')
		expect(removeIniSection(text, 'b')).toBe('[a]\napi_key = 1\n\n# staging\n')
		expect(removeIniSection(text, 'c')).toBe(text)
	})

	it('round-trips sections through set and remove', () => {
		fc.assert(
			fc.property(sections, sectionName, iniValue, (data, name, value) => {
				const text = setIniValue(formatIni(data), name, 'api_key', value)
				expect(parseIni(text).get(name)?.get('api_key')).toBe(value)
				const removed = new Map(data)
				removed.delete(name)
				expect(plain(parseIni(removeIniSection(text, name)))).toEqual(plain(removed))
			}),
		)
	})
})
