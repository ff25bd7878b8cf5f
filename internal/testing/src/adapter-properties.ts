import { createKeyward, REJECTIONS, type RejectCode } from '@keyward/core'
import fc from 'fast-check'
import { beforeAll, expect, it } from 'vitest'
import type { AppBuilder, AuthApp } from './adapter-app.js'
import { CHALLENGE, send } from './adapter-harness.js'

/** Characters Node accepts in a header value: tab, printable ASCII and Latin-1. */
const headerChar = fc.oneof(
	fc.constant('\t'),
	fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
	fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
)
const headerValue = fc.string({ unit: headerChar, maxLength: 80 })
/** Query values: any Unicode text encoded, or raw URL text with the characters parsers trip on. */
const queryValue = fc.oneof(
	fc.string({ unit: 'grapheme', maxLength: 40 }).map(encodeURIComponent),
	fc.string({ unit: fc.constantFrom(...'%+&=;[]._-~aZ09'), maxLength: 40 }),
)
const credentials = fc.record(
	{ apiKey: headerValue, authorization: headerValue, query: queryValue },
	{ requiredKeys: [] },
)

/**
 * Property suite shared by the adapters: arbitrary credentials in the three accepted places are
 * answered with a 401 JSON refusal from core's table, never 200 or 500, and never reach the
 * handler. Call `useHarness()` in the test file too.
 */
export function describeAdapterProperties<M, Skip>(adapter: AppBuilder<M, Skip>): void {
	const { apiKeyAuth, serveApp } = adapter
	let app: AuthApp

	beforeAll(async () => {
		const keyward = createKeyward()
		await keyward.createKey({ owner: 'acme' })
		app = await serveApp(apiKeyAuth(keyward))
	})

	it('answers arbitrary credentials with a 401 JSON refusal, never 200 or 500', async () => {
		await fc.assert(
			fc.asyncProperty(credentials, async ({ apiKey, authorization, query }) => {
				const headers: Record<string, string> = {}
				if (apiKey !== undefined) headers['x-api-key'] = apiKey
				if (authorization !== undefined) headers.authorization = authorization
				const answer = await send(app.server, query === undefined ? '/' : `/?api_key=${query}`, headers)
				expect(answer.status).toBe(401)
				expect(answer.headers['www-authenticate']).toBe(CHALLENGE)
				const body = answer.body as { detail: string; code: RejectCode }
				expect(Object.keys(body).sort()).toStrictEqual(['code', 'detail'])
				expect(body.detail).toBe(REJECTIONS[body.code].detail)
			}),
			{ numRuns: 200 },
		)
		expect(app.hits).toHaveLength(0)
	})
}
