import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createExtractor } from '../src/extract.js'
import type { RequestLike } from '../src/types.js'

const extract = createExtractor()
const req = (headers: RequestLike['headers'], url = '/', rawHeaders?: string[]): RequestLike =>
	rawHeaders === undefined ? { headers, url } : { headers, url, rawHeaders }

describe('extraction sources', () => {
	it('reads Authorization: Apikey with a case-insensitive scheme and trimmed value', () => {
		for (const scheme of ['Apikey', 'APIKEY', 'apikey', 'ApiKey']) {
			expect(extract(req({ authorization: `${scheme} abc` }))).toEqual({
				kind: 'key',
				key: 'abc',
				source: 'authorization',
			})
		}
		expect(extract(req({ authorization: '  Apikey \t abc \t ' }))).toMatchObject({ kind: 'key', key: 'abc' })
	})

	it('ignores Authorization schemes it does not own', () => {
		expect(extract(req({ authorization: 'Bearer abc' }))).toEqual({ kind: 'none' })
		expect(extract(req({ authorization: 'Basic dXNlcjpwYXNz' }))).toEqual({ kind: 'none' })
		expect(extract(req({ authorization: 'Bearer abc', 'x-api-key': 'k' }))).toMatchObject({
			kind: 'key',
			key: 'k',
		})
	})

	it('an owned scheme with no usable value is malformed', () => {
		expect(extract(req({ authorization: 'Apikey' }))).toMatchObject({ kind: 'malformed' })
		expect(extract(req({ authorization: 'Apikey    ' }))).toMatchObject({ kind: 'malformed' })
		expect(extract(req({ authorization: 'Apikey a b' }))).toMatchObject({ kind: 'malformed' })
	})

	it('reads custom headers and the query parameter', () => {
		expect(extract(req({ 'x-api-key': ' k1 ' }))).toEqual({
			kind: 'key',
			key: 'k1',
			source: 'header',
			header: 'x-api-key',
		})
		expect(extract(req({}, '/x?a=1&api_key=k2&b'))).toEqual({ kind: 'key', key: 'k2', source: 'query' })
		expect(extract(req({}, '/x?api%5Fkey=k%32'))).toEqual({ kind: 'key', key: 'k2', source: 'query' })
		expect(extract(req({}, '/x?api_key=k3#frag'))).toMatchObject({ key: 'k3' })
		expect(extract(req({}, '/x?api_key='))).toMatchObject({ kind: 'malformed', source: 'query' })
		expect(extract(req({}, '/x?api_key[]=k'))).toMatchObject({ kind: 'malformed', source: 'query' })
		expect(extract(req({}, '/x?api_key[x]=k'))).toMatchObject({ kind: 'malformed', source: 'query' })
		expect(extract(req({}, '/x?api_key=%E0%A4%A'))).toMatchObject({ kind: 'malformed' })
		expect(extract(req({}, '/x?my_api_key=k'))).toEqual({ kind: 'none' })
	})

	it('honours configured schemes, headers and a disabled query', () => {
		const custom = createExtractor({ schemes: ['Token'], headers: ['x-key', 'x-other'], query: false })
		expect(custom(req({ authorization: 'token abc' }))).toMatchObject({ key: 'abc' })
		expect(custom(req({ authorization: 'Apikey abc' }))).toEqual({ kind: 'none' })
		expect(custom(req({ 'x-other': 'k' }))).toMatchObject({ key: 'k', header: 'x-other' })
		expect(custom(req({ 'x-api-key': 'k' }))).toEqual({ kind: 'none' })
		expect(custom(req({}, '/?api_key=k'))).toEqual({ kind: 'none' })
		expect(custom.stripQuery('/?api_key=k')).toBe('/?api_key=k')
		expect(createExtractor({ schemes: [] })(req({ authorization: 'Apikey k' }))).toEqual({ kind: 'none' })
	})

	it('nothing at all is none', () => {
		expect(extract(req({}))).toEqual({ kind: 'none' })
		expect(extract({ headers: {} })).toEqual({ kind: 'none' })
	})
})

describe('conflicts', () => {
	it('two different keys in different places are ambiguous', () => {
		expect(extract(req({ authorization: 'Apikey a', 'x-api-key': 'b' }))).toEqual({ kind: 'ambiguous' })
		expect(extract(req({ 'x-api-key': 'a' }, '/?api_key=b'))).toEqual({ kind: 'ambiguous' })
		expect(extract(req({ authorization: 'Apikey a' }, '/?api_key=b'))).toEqual({ kind: 'ambiguous' })
	})

	it('the same key in two places is accepted (Authorization reported first)', () => {
		expect(extract(req({ authorization: 'Apikey a', 'x-api-key': 'a' }, '/?api_key=a'))).toMatchObject({
			kind: 'key',
			key: 'a',
			source: 'authorization',
		})
	})

	it('repeated credentials are ambiguous even when identical', () => {
		expect(extract(req({}, '/?api_key=a&api_key=a'))).toEqual({ kind: 'ambiguous' })
		expect(extract(req({}, '/?api_key=a&api%5Fkey=b'))).toEqual({ kind: 'ambiguous' })
		expect(extract(req({ 'x-api-key': 'a, b' }))).toEqual({ kind: 'ambiguous' })
		expect(extract(req({ 'x-api-key': ['a', 'a'] }))).toEqual({ kind: 'ambiguous' })
		const raw = ['Authorization', 'Apikey a', 'authorization', 'Apikey b']
		expect(extract(req({ authorization: 'Apikey a' }, '/', raw))).toEqual({ kind: 'ambiguous' })
	})

	it('a malformed credential next to a key is ambiguous, never silently dropped', () => {
		expect(extract(req({ authorization: 'Apikey', 'x-api-key': 'a' }))).toEqual({ kind: 'ambiguous' })
	})
})

describe('stripQuery', () => {
	it('removes every spelling of the parameter and keeps the rest', () => {
		expect(extract.stripQuery('/x?a=1&api_key=k&b=2')).toBe('/x?a=1&b=2')
		expect(extract.stripQuery('/x?api_key=k')).toBe('/x')
		expect(extract.stripQuery('/x?api_key=k&api%5Fkey=j&api_key[]=z#f')).toBe('/x#f')
		expect(extract.stripQuery('/x?a=1')).toBe('/x?a=1')
		expect(extract.stripQuery('/x')).toBe('/x')
	})

	it('property: the result never contains a query credential', () => {
		fc.assert(
			fc.property(
				fc.array(fc.tuple(fc.constantFrom('a', 'api_key', 'api%5Fkey', 'api_key[]', 'b'), fc.string())),
				(pairs) => {
					const url = `/p?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`
					const stripped = extract.stripQuery(url)
					expect(extract(req({}, stripped))).toEqual({ kind: 'none' })
				},
			),
		)
	})
})

describe('hostile input', () => {
	it('property: never throws on arbitrary headers and URLs', () => {
		fc.assert(
			fc.property(
				fc.option(fc.string({ maxLength: 3000 })),
				fc.option(fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }))),
				fc.string({ maxLength: 3000 }),
				(authorization, apiKey, url) => {
					const headers: RequestLike['headers'] = {}
					if (authorization !== null) headers.authorization = authorization
					if (apiKey !== null) headers['x-api-key'] = apiKey
					const found = extract(req(headers, url))
					expect(['none', 'ambiguous', 'malformed', 'key']).toContain(found.kind)
					extract.stripQuery(url)
				},
			),
			{ numRuns: 3000 },
		)
	})

	it('refuses oversized credentials unread', () => {
		const huge = 'a'.repeat(5000)
		expect(extract(req({ 'x-api-key': huge }))).toMatchObject({ kind: 'malformed' })
		expect(extract(req({ authorization: `Apikey ${huge}` }))).toMatchObject({ kind: 'malformed' })
		expect(extract(req({}, `/?api_key=${huge}`))).toMatchObject({ kind: 'malformed' })
	})
})
