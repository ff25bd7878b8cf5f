import { createKeyward, securitySchemes } from '@keyward/core'
import { describeKeyManagementApi, KEY_MANAGEMENT_ROUTES } from '@keyward/core/management'
import { Validator } from '@seriousme/openapi-schema-validator'
import { describe, expect, it } from 'vitest'

async function validate(document: unknown) {
	const validator = new Validator()
	const result = await validator.validate(structuredClone(document) as Record<string, unknown>)
	return { ...result, version: validator.version }
}

describe('describeKeyManagementApi', () => {
	it('is a valid OpenAPI 3.1 document with every route of KEY_MANAGEMENT_ROUTES', async () => {
		const document = describeKeyManagementApi({ mount: '/account', title: 'Example keys', version: '2.0.0' })
		const result = await validate(document)
		expect(result.errors).toBeUndefined()
		expect([result.valid, result.version]).toEqual([true, '3.1'])
		const paths = document.paths as Record<string, Record<string, { operationId: string }>>
		const described = Object.entries(paths).flatMap(([path, methods]) =>
			Object.keys(methods).map((method) => `${method.toUpperCase()} ${path.replace('{id}', ':id')}`),
		)
		expect(described.sort()).toEqual(KEY_MANAGEMENT_ROUTES.map((r) => `${r.method} ${r.path}`).sort())
		expect(document.servers).toEqual([{ url: '/account' }])
		const operationIds = Object.values(paths).flatMap((methods) =>
			Object.values(methods).map((m) => m.operationId),
		)
		expect(new Set(operationIds).size).toBe(KEY_MANAGEMENT_ROUTES.length)
	})

	it('is JSON, and a fresh copy each time', () => {
		const a = describeKeyManagementApi()
		expect(JSON.parse(JSON.stringify(a))).toEqual(a)
		expect(describeKeyManagementApi()).not.toBe(a)
	})

	it('refuses options it does not know, or cannot use', () => {
		expect(() => describeKeyManagementApi({ prefix: '/x' } as never)).toThrow(/Unknown option "prefix"/)
		for (const mount of ['account', '/a?b', '/a b', ''])
			expect(() => describeKeyManagementApi({ mount }), mount).toThrow(/mount must be a path/)
		expect(() => describeKeyManagementApi({ title: '' })).toThrow(/title must be text/)
	})
})

describe('securitySchemes', () => {
	it('describes the default extraction: the Apikey scheme, x-api-key and ?api_key=', async () => {
		const schemes = securitySchemes(createKeyward())
		expect(Object.values(schemes).map((s) => [s.in, s.name])).toEqual([
			['header', 'Authorization'],
			['header', 'x-api-key'],
			['query', 'api_key'],
		])
		const document = {
			openapi: '3.1.0',
			info: { title: 'Host API', version: '1' },
			paths: {},
			components: { securitySchemes: schemes },
			security: Object.keys(schemes).map((name) => ({ [name]: [] })),
		}
		expect((await validate(document)).valid).toBe(true)
	})

	it('follows the configured sources, from a keyward or from extract options', () => {
		const extract = { schemes: ['Token', 'Apikey'], headers: ['x-key', 'x-other!key'], query: false as const }
		const fromOptions = securitySchemes(extract)
		expect(securitySchemes(createKeyward({ extract }))).toEqual(fromOptions)
		expect(Object.keys(fromOptions)).toEqual([
			'apiKey_authorization_Token',
			'apiKey_authorization_Apikey',
			'apiKey_header_x-key',
			'apiKey_header_x-other_key',
		])
		expect(fromOptions.apiKey_authorization_Token?.description).toContain('`Authorization: Token <key>`')
		expect(securitySchemes({ schemes: [], headers: [], query: 'k' })).toEqual({
			apiKey_query_k: expect.objectContaining({ type: 'apiKey', in: 'query', name: 'k' }),
		})
	})
})
