import { describe, expect, it } from 'vitest'
import { createKeyward } from '../src/keyward.js'
import type { KeywardOptions } from '../src/options.js'

describe('createKeyward options', () => {
	it('fails at start-up with a clear message', () => {
		const cases: [unknown, RegExp][] = [
			[{ prefx: 'kw' }, /Unknown option "prefx".*did you mean "prefix"/],
			[{ cache: { ttl: 5 } }, /Unknown option "ttl" in cache options.*"ttlMs"/],
			[{ prefix: 'kw_live' }, /prefix/],
			[{ prefix: 'KW' }, /prefix/],
			[{ prefix: '' }, /prefix/],
			[{ environment: 'Live' }, /environment/],
			[{ pepper: '' }, /pepper must not be empty/],
			[{ pepper: [] }, /pepper list/],
			[{ pepper: [{ version: 'a b', secret: 's' }] }, /pepper version/],
			[
				{
					pepper: [
						{ version: 'a', secret: 's' },
						{ version: 'a', secret: 't' },
					],
				},
				/unique/,
			],
			[{ realm: 'a\r\nb' }, /realm/],
			[{ hideCredentials: 'header' }, /hideCredentials/],
			[{ cache: { max: 0 } }, /cache.max/],
			[{ cache: { ttlMs: -1 } }, /cache.ttlMs/],
			[{ lifetime: { defaultMs: 10, maxMs: 5 } }, /defaultMs/],
			[{ storeTimeoutMs: Number.NaN }, /storeTimeoutMs/],
			[{ extract: { schemes: ['Api Key'] } }, /schemes/],
			[{ extract: { headers: ['x key'] } }, /headers/],
			[{ extract: { query: 'a&b' } }, /query/],
			[{ quota: { anchorDay: 31 } }, /anchorDay/],
			[{ now: 5 }, /now/],
			[null, /options object/],
		]
		for (const [options, message] of cases) {
			let thrown: unknown
			try {
				createKeyward(options as KeywardOptions)
			} catch (error) {
				thrown = error
			}
			expect(thrown, JSON.stringify(options)).toMatchObject({ name: 'KeywardError', code: 'invalid_option' })
			expect((thrown as Error).message).toMatch(message)
		}
	})

	it('accepts a full, valid configuration', () => {
		expect(() =>
			createKeyward({
				prefix: 'acme',
				environment: 'live',
				extract: { schemes: ['Apikey', 'Token'], headers: ['x-api-key'], query: false },
				hideCredentials: true,
				cache: { max: 10, ttlMs: 1000, negativeTtlMs: 0 },
				pepper: 'secret',
				quota: { timeZone: 'Europe/Paris', anchorDay: 3 },
				realm: 'acme api',
				lastUsed: false,
				lifetime: { defaultMs: 1000, maxMs: 2000 },
				storeTimeoutMs: 100,
			}),
		).not.toThrow()
	})
})
