import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cookieValues, isLocalPlainHttp, serializeCookie } from '../src/cookies.js'
import { generateKey, keyPattern } from '../src/key-format.js'
import { crossSiteRefusal, isNavigation, sameOriginLocation } from '../src/session-http.js'
import { resolveSessionOptions } from '../src/session-options.js'
import { generateSessionToken, isSessionToken, sessionTokenPattern } from '../src/session-token.js'

const NAME_CHARS = [..."!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"]
const VALUE_CHARS = [
	...'!#$%&()*+-./0123456789:<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~',
]
const cookieName = fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: 16 })
const cookieValue = fc.string({ unit: fc.constantFrom(...VALUE_CHARS), maxLength: 40 })
const spaces = fc.constantFrom('', ' ', '  ', '\t')

describe('cookieValues', () => {
	it('never throws, and only answers values that came after the name and an =', () => {
		fc.assert(
			fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' })), cookieName, (header, name) => {
				for (const value of cookieValues(header, name)) expect(header).toContain(value)
			}),
			{ numRuns: 2000 },
		)
		expect(cookieValues(undefined, 'a')).toEqual([])
	})

	it('finds a cookie among any others, in any order and spacing, as serializeCookie wrote it', () => {
		fc.assert(
			fc.property(
				cookieName,
				cookieValue,
				fc.array(fc.tuple(cookieName, cookieValue), { maxLength: 8 }),
				fc.nat(8),
				spaces,
				(name, value, others, at, space) => {
					const strangers = others.filter(([other]) => other !== name)
					const pairs = strangers.map(([n, v]) => `${n}=${v}`)
					const written = serializeCookie({
						name,
						value,
						path: '/',
						maxAgeSec: 1,
						secure: true,
						sameSite: 'Lax',
					})
					pairs.splice(Math.min(at, pairs.length), 0, written.split(';')[0] as string)
					expect(cookieValues(pairs.join(`;${space}`), name)).toEqual([value])
					expect(cookieValues([pairs.join('; ')], name)).toEqual([value])
				},
			),
		)
	})

	it('matches names exactly, keeps repeated values in order, and unquotes quoted values', () => {
		expect(cookieValues('kw_session2=a; xkw_session=b; KW_SESSION=c; kw_session =d', 'kw_session')).toEqual([
			'd',
		])
		expect(cookieValues('kw_session=one; other=x; kw_session=two', 'kw_session')).toEqual(['one', 'two'])
		expect(cookieValues('kw_session="kws_abc"; a="', 'kw_session')).toEqual(['kws_abc'])
		expect(cookieValues('kw_session; kw_session=', 'kw_session')).toEqual([''])
		expect(cookieValues('a=b=c', 'a')).toEqual(['b=c'])
	})
})

describe('serializeCookie', () => {
	it('writes HttpOnly, SameSite, the path, Max-Age, and Secure when asked', () => {
		const cookie = {
			name: 'kw_session',
			value: 'kws_x',
			path: '/api',
			maxAgeSec: 60,
			sameSite: 'Lax',
		} as const
		expect(serializeCookie({ ...cookie, secure: true })).toBe(
			'kw_session=kws_x; Path=/api; Max-Age=60; HttpOnly; SameSite=Lax; Secure',
		)
		expect(serializeCookie({ ...cookie, secure: false, sameSite: 'Strict', value: '', maxAgeSec: 0 })).toBe(
			'kw_session=; Path=/api; Max-Age=0; HttpOnly; SameSite=Strict',
		)
	})

	it('refuses what a header could not carry as it is', () => {
		const cookie = { name: 'a', value: 'b', path: '/', maxAgeSec: 1, secure: true, sameSite: 'Lax' } as const
		for (const bad of [
			{ name: 'a b' },
			{ name: '' },
			{ value: 'x;y' },
			{ value: 'x y' },
			{ value: 'é' },
			{ path: 'api' },
			{ path: '/a;Domain=evil' },
			{ maxAgeSec: -1 },
			{ maxAgeSec: 1.5 },
		])
			expect(() => serializeCookie({ ...cookie, ...bad })).toThrow(TypeError)
	})
})

describe('session tokens', () => {
	it('accepts every generated token, and refuses it with any one character changed', () => {
		fc.assert(
			fc.property(
				fc.constantFrom('kw', 'acme', 'x9'),
				fc.nat(),
				fc.constantFrom(...'0aZ_9'),
				(prefix, at, ch) => {
					const token = generateSessionToken(prefix)
					expect(isSessionToken(token, prefix)).toBe(true)
					expect(token).toMatch(sessionTokenPattern(prefix))
					const i = at % token.length
					const changed = token.slice(0, i) + (token[i] === ch ? '1' : ch) + token.slice(i + 1)
					expect(isSessionToken(changed, prefix)).toBe(false)
					expect(isSessionToken(token, `${prefix}x`)).toBe(false)
				},
			),
			{ numRuns: 1000 },
		)
	})

	it('refuses anything else without throwing: keys, junk, other types', () => {
		fc.assert(
			fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 80 })), (text) => {
				expect(isSessionToken(text, 'kw')).toBe(false)
			}),
			{ numRuns: 2000 },
		)
		for (const junk of [
			undefined,
			null,
			42,
			{},
			generateKey('kw'),
			generateKey('kws'),
			`kws_${'A'.repeat(38)}`,
		])
			expect(isSessionToken(junk, 'kw')).toBe(false)
	})

	it('never looks like a key, so secret scanners and key parsers keep them apart', () => {
		for (let i = 0; i < 200; i++) {
			const token = generateSessionToken('kw')
			expect(token).not.toMatch(keyPattern('kw'))
			expect(token).not.toMatch(keyPattern('kws'))
			expect(generateKey('kw')).not.toMatch(sessionTokenPattern('kw'))
		}
	})
})

describe('session HTTP rules', () => {
	const options = resolveSessionOptions({}, 'session options', true)
	const origin = 'https://app.example'

	it('keeps every redirect on this origin, whatever the request target', () => {
		fc.assert(
			fc.property(fc.oneof(fc.string(), fc.webUrl(), fc.webPath()), (target) => {
				const location = sameOriginLocation(target)
				expect(location.startsWith('/')).toBe(true)
				expect(location[1] === '/' || location[1] === '\\').toBe(false)
			}),
			{ numRuns: 2000 },
		)
		expect(sameOriginLocation('/reports?page=2')).toBe('/reports?page=2')
		expect(sameOriginLocation('//evil.example/x')).toBe('/evil.example/x')
		expect(sameOriginLocation('/\\evil.example')).toBe('/evil.example')
		expect(sameOriginLocation('http://evil.example/x?y=1')).toBe('/x?y=1')
	})

	it('tells browser navigations from scripts', () => {
		expect(isNavigation({ 'sec-fetch-mode': 'navigate' })).toBe(true)
		expect(isNavigation({ 'sec-fetch-mode': 'cors', accept: 'text/html' })).toBe(false)
		expect(isNavigation({ accept: 'text/html,application/xhtml+xml' })).toBe(true)
		expect(isNavigation({ accept: 'application/json' })).toBe(false)
		expect(isNavigation({})).toBe(false)
	})

	it('refuses cookie-authenticated changes from other origins, and POSTs a form could send', () => {
		const refused = (method: string, headers: Record<string, string>) =>
			crossSiteRefusal({ method, headers, url: '/' }, origin, options)?.code
		expect(refused('GET', { origin: 'https://evil.example' })).toBeUndefined()
		expect(refused('DELETE', { origin: 'https://evil.example' })).toBe('cross_origin')
		expect(refused('PUT', { 'sec-fetch-site': 'cross-site' })).toBe('cross_origin')
		expect(refused('DELETE', { origin })).toBeUndefined()
		expect(refused('POST', { origin, 'content-type': 'application/json' })).toBeUndefined()
		expect(refused('POST', { origin, 'content-type': 'text/plain' })).toBe('cross_origin')
		expect(refused('POST', { 'content-type': 'application/x-www-form-urlencoded' })).toBe('cross_origin')
		expect(refused('POST', { origin, 'x-requested-with': 'fetch' })).toBeUndefined()
		expect(refused('POST', { origin: 'https://evil.example', 'content-type': 'application/json' })).toBe(
			'cross_origin',
		)
	})

	it('leaves Secure off only over plain HTTP on this machine', () => {
		for (const local of ['http://localhost:3000', 'http://127.0.0.1', 'http://[::1]:8080'])
			expect(isLocalPlainHttp(local)).toBe(true)
		for (const remote of ['https://localhost', 'http://app.example', 'http://127.0.0.2', 'http://', 'junk'])
			expect(isLocalPlainHttp(remote)).toBe(false)
	})

	it('validates the session options at start-up', () => {
		const bad = [
			{ cookie: 'a b' },
			{ path: 'api' },
			{ sameSite: 'none' },
			{ lifetimeMs: 10 },
			{ trustedOrigins: ['app.example'] },
			{ csrfHeader: 'x y' },
			{ fromQuery: 'yes' },
			{ cokie: 'x' },
		]
		for (const options of bad)
			expect(() => resolveSessionOptions(options as never, 'session options', true)).toThrow(
				/session options|must/,
			)
		expect(() => resolveSessionOptions({ fromQuery: true }, 'sessionLogin options', false)).toThrow(
			/fromQuery/,
		)
		expect(() => resolveSessionOptions({ cokie: 'x' } as never, 'session options', true)).toThrow(
			'did you mean "cookie"',
		)
	})
})
