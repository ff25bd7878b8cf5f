import { createKeyward } from '@keyward/core'
import { describeKeyManagementApi, type KeyManagementPolicy } from '@keyward/core/management'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import type { HeaderReader, KeyRouterAdapter } from './adapter-key-router.js'

/** Router options beyond the policy: what the OpenAPI tests turn on and off. */
type WithOpenApi = KeyManagementPolicy<HeaderReader> & { openApi?: unknown }

/**
 * The OpenAPI document a key-management router serves at `GET /account/openapi.json`: the one
 * `describeKeyManagementApi` builds for its mount point, readable without a signed-in caller,
 * titled by the `openApi` option, absent with `openApi: false`, and misspelt options refused.
 */
export function describeKeyManagementOpenApi(adapter: KeyRouterAdapter): void {
	const owner = (req: HeaderReader) => req.get('x-user') || undefined
	const appWith = (options: Partial<WithOpenApi>) =>
		adapter.appFor(createKeyward(), { owner, ...options } as KeyManagementPolicy<HeaderReader>, false)

	describe(`${adapter.name} keyManagementRouter: OpenAPI document`, () => {
		it('serves the document of its routes at <mount>/openapi.json, without a caller', async () => {
			const res = await request(appWith({})).get('/account/openapi.json')
			expect(res.status).toBe(200)
			expect(res.headers['content-type']).toMatch(/^application\/json/)
			expect(res.body).toEqual(describeKeyManagementApi({ mount: '/account' }))
		})

		it('takes a title and version, and can be turned off', async () => {
			const titled = await request(appWith({ openApi: { title: 'Example keys', version: '3' } })).get(
				'/account/openapi.json',
			)
			expect(titled.body.info).toMatchObject({ title: 'Example keys', version: '3' })
			const off = await request(appWith({ openApi: false })).get('/account/openapi.json')
			expect(off.status).toBe(404)
		})

		it('refuses a misspelt or malformed openApi option when the router is made', () => {
			const keyward = createKeyward()
			const router = (openApi: unknown) => () =>
				adapter.router(keyward, { owner, openApi } as KeyManagementPolicy<HeaderReader>)
			expect(router({ titel: 'x' })).toThrow(
				/Unknown option "titel" in openApi options \(did you mean "title"\?\)/,
			)
			expect(router('yes')).toThrow(/openApi must be true, false or \{ title, version \}/)
			expect(router({ version: '' })).toThrow(/version must be text/)
			expect(() => adapter.router(keyward, { owner, openapi: true } as never)).toThrow(
				/did you mean "openApi"/,
			)
		})
	})
}
