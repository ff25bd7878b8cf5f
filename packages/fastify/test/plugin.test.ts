import { createKeyward, isKeywardError } from '@keyward/core'
import { secret } from '@keyward/internal-testing'
import Fastify, { type FastifyPluginAsync } from 'fastify'
import { beforeAll, describe, expect, it } from 'vitest'
import { keywardAuth, requireScopes } from '../src/index.js'

describe('keywardAuth plugin', () => {
	const keyward = createKeyward()
	let key: string
	let admin: string

	beforeAll(async () => {
		key = secret((await keyward.createKey({ owner: 'acme', scopes: ['reports:read'] })).key)
		admin = secret((await keyward.createKey({ owner: 'acme', scopes: ['admin'] })).key)
	})

	/** `/api` behind the plugin (registered in a child context), `/public` and `/other` beside it. */
	async function app() {
		const nested: FastifyPluginAsync = async (context) => {
			context.get('/nested', async (request) => ({ id: request.apiKey?.id ?? null }))
		}
		const api: FastifyPluginAsync = async (context) => {
			await context.register(keywardAuth, { keyward })
			context.get('/reports', async (request) => ({ owner: request.apiKey?.owner ?? null }))
			context.get('/admin', { preHandler: requireScopes('admin') }, async () => ({ admin: true }))
			await context.register(nested)
		}
		const sibling: FastifyPluginAsync = async (context) => {
			context.get('/other', async () => ({ open: true }))
		}
		const instance = Fastify()
		await instance.register(api, { prefix: '/api' })
		instance.get('/public', async (request) => ({ hasKey: request.apiKey !== undefined }))
		await instance.register(sibling)
		return instance
	}

	it('authenticates the routes of the context that registers it, and of contexts nested in it', async () => {
		const instance = await app()
		expect((await instance.inject({ url: '/api/reports' })).statusCode).toBe(401)
		const ok = await instance.inject({ url: '/api/reports', headers: { 'x-api-key': key } })
		expect([ok.statusCode, ok.json()]).toEqual([200, { owner: 'acme' }])
		expect((await instance.inject({ url: '/api/nested' })).statusCode).toBe(401)
		expect((await instance.inject({ url: '/api/nested', headers: { 'x-api-key': key } })).statusCode).toBe(
			200,
		)
	})

	it('leaves the parent and sibling contexts alone (encapsulation)', async () => {
		const instance = await app()
		const open = await instance.inject({ url: '/public' })
		expect([open.statusCode, open.json()]).toEqual([200, { hasKey: false }])
		expect((await instance.inject({ url: '/other' })).statusCode).toBe(200)
		// A key sent to an unprotected route is not even read there.
		expect((await instance.inject({ url: '/public', headers: { 'x-api-key': 'junk' } })).statusCode).toBe(200)
	})

	it('answers refusals as JSON with the challenge, and requireScopes per route', async () => {
		const instance = await app()
		const refused = await instance.inject({ url: '/api/admin', headers: { 'x-api-key': key } })
		expect([refused.statusCode, refused.json()]).toEqual([
			403,
			{ detail: 'Insufficient scope', code: 'insufficient_scope' },
		])
		const missing = await instance.inject({ url: '/api/reports' })
		expect(missing.headers['www-authenticate']).toBe('Apikey realm="api"')
		expect(missing.headers['content-type']).toMatch(/^application\/json/)
		expect((await instance.inject({ url: '/api/admin', headers: { 'x-api-key': admin } })).statusCode).toBe(
			200,
		)
	})

	it('can be registered in several contexts, and at the root covers the 404 handler', async () => {
		const a: FastifyPluginAsync = async (context) => {
			await context.register(keywardAuth, { keyward })
			context.get('/a', async () => 'a')
		}
		const b: FastifyPluginAsync = async (context) => {
			await context.register(keywardAuth, { keyward, scopes: ['admin'] })
			context.get('/b', async () => 'b')
		}
		const instance = Fastify()
		await instance.register(a)
		await instance.register(b)
		expect((await instance.inject({ url: '/a', headers: { 'x-api-key': key } })).statusCode).toBe(200)
		expect((await instance.inject({ url: '/b', headers: { 'x-api-key': key } })).statusCode).toBe(403)
		const root = Fastify()
		await root.register(keywardAuth, { keyward })
		expect((await root.inject({ url: `/nowhere?api_key=junk` })).statusCode).toBe(401)
		const notFound = await root.inject({ url: `/nowhere?api_key=${key}` })
		expect(notFound.statusCode).toBe(404)
		expect(notFound.body).not.toContain(key)
	})

	it('validates its options when it loads, with a suggestion for a misspelt name', async () => {
		const typo = Fastify().register(keywardAuth, { keyward, optinal: true } as never)
		await expect(typo.ready()).rejects.toThrow(/Unknown option "optinal".*did you mean "optional"/)
		const none = Fastify().register(keywardAuth, {} as never)
		const error = await none.ready().then(
			() => undefined,
			(e: unknown) => e,
		)
		expect(isKeywardError(error)).toBe(true)
		expect((error as Error).message).toMatch(/keyward instance/)
		// Fastify's own register options are not the plugin's to refuse.
		const prefixed = Fastify().register(keywardAuth, { keyward, prefix: '/x', logLevel: 'warn' } as never)
		await expect(prefixed.ready()).resolves.toBeDefined()
	})
})
