import { createKeyward } from '@keyward/core'
import {
	describeKeyManagementAttacks,
	describeKeyManagementOpenApi,
	describeKeyManagementRouter,
	type KeyRouterAdapter,
	policyFor,
} from '@keyward/internal-testing'
import Fastify from 'fastify'
import request from 'supertest'
import { expect, it } from 'vitest'
import { keyManagementRoutes } from '../src/index.js'
import { headerReader, listenerOf } from './app.js'

const adapter: KeyRouterAdapter = {
	name: 'Fastify',
	appFor(keyward, policy, hostJson) {
		const app = Fastify()
		// The host's own JSON parser: the routes keep their own in their context.
		if (hostJson) {
			app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
				done(null, { parsedBy: 'host', body })
			})
		}
		app.setErrorHandler((error, _request, reply) =>
			reply.code(500).send({ detail: 'host error handler', message: (error as Error).message }),
		)
		app.setNotFoundHandler((_request, reply) => reply.code(404).send({ detail: 'host 404' }))
		app.register(keyManagementRoutes, { prefix: '/account', keyward, ...policyFor(policy, headerReader) })
		return listenerOf(app)
	},
	// The plugin hands a bad option to Fastify's `done` before it touches the instance.
	router: (keyward, options) =>
		keyManagementRoutes(Fastify(), { keyward, ...policyFor(options, headerReader) }, (error) => {
			if (error) throw error
		}),
}

describeKeyManagementAttacks(adapter)
describeKeyManagementOpenApi(adapter)

describeKeyManagementRouter(adapter, ({ setup, record }) => {
	it('leaves other paths and methods to the host', async () => {
		const { app } = await setup()
		for (const [method, path] of [
			['get', '/account/other'],
			['put', '/account/keys'],
			['post', '/account/keys/abcdabcdabcd/other'],
			['patch', '/account/keys/abcdabcdabcd'],
			['get', '/keys'],
		] as const) {
			const res = await request(app)[method](path).set('x-user', 'alice')
			record(`${method} ${path}`, res.text)
			expect([res.status, res.body]).toEqual([404, { detail: 'host 404' }])
		}
	})

	it("keeps its body handling to its own context: the host's routes still parse JSON", async () => {
		const app = Fastify()
		app.post('/echo', async (request) => request.body)
		app.register(keyManagementRoutes, { prefix: '/account', keyward: createKeyward(), owner: () => 'alice' })
		const echoed = await app.inject({ method: 'POST', url: '/echo', payload: { name: 'x' } })
		expect(echoed.json()).toEqual({ name: 'x' })
		const created = await app.inject({ method: 'POST', url: '/account/keys', payload: { name: 'ci' } })
		record('POST /keys', created.body)
		expect([created.statusCode, created.json().info.name]).toEqual([201, 'ci'])
		const text = await app.inject({
			method: 'POST',
			url: '/account/keys',
			headers: { 'content-type': 'text/plain' },
			payload: '{}',
		})
		record('POST /keys', text.body)
		expect([text.statusCode, text.json().code]).toEqual([415, 'unsupported_media_type'])
	})

	it('refuses unknown options, Fastify register options aside', async () => {
		const keyward = createKeyward()
		const app = Fastify()
		app.register(keyManagementRoutes, { keyward, owner: () => 'x', prefix: '/a', logLevel: 'warn' } as never)
		await expect(app.ready()).resolves.toBeDefined()
		const typo = Fastify().register(keyManagementRoutes, { keyward, owner: () => 'x', prefx: '/a' } as never)
		await expect(typo.ready()).rejects.toThrow(/did you mean "prefix"/)
	})
})
