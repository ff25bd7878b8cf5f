import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createKeyward } from '@keyward/core'
import {
	describeKeyManagementAttacks,
	describeKeyManagementOpenApi,
	describeKeyManagementRouter,
	type KeyRouteMethod,
	type KeyRouterAdapter,
} from '@keyward/internal-testing'
import Koa from 'koa'
import request from 'supertest'
import { expect, it } from 'vitest'
import { keyManagementRouter } from '../src/index.js'

/** A stand-in for a body parser of the host: sets `ctx.request.body`. */
const hostBodyParser: Koa.Middleware = async (ctx, next) => {
	const chunks: Buffer[] = []
	for await (const chunk of ctx.req) chunks.push(chunk as Buffer)
	if (chunks.length > 0)
		(ctx.request as { body?: unknown }).body = JSON.parse(Buffer.concat(chunks).toString())
	await next()
}

const adapter: KeyRouterAdapter = {
	name: 'Koa',
	appFor(keyward, policy, hostJson) {
		const app = new Koa()
		app.use(async (ctx, next) => {
			try {
				await next()
			} catch (error) {
				ctx.status = 500
				ctx.body = { detail: 'host error handler', message: (error as Error).message }
			}
		})
		if (hostJson) app.use(hostBodyParser)
		app.use(keyManagementRouter(keyward, { prefix: '/account', ...policy }))
		app.use((ctx) => {
			ctx.status = 404
			ctx.body = { detail: 'host 404' }
		})
		return app.callback()
	},
	router: keyManagementRouter,
}

describeKeyManagementAttacks(adapter)
describeKeyManagementOpenApi(adapter)

describeKeyManagementRouter(adapter, ({ setup, record }) => {
	it('refuses a body another middleware read without parsing', async () => {
		const keyward = createKeyward()
		const app = new Koa()
		app.use(async (ctx, next) => {
			for await (const _ of ctx.req) {
				// drained, as a logging or signature middleware might
			}
			await next()
		})
		app.use(keyManagementRouter(keyward, { prefix: '/account', owner: () => 'alice' }))
		const res = await request(app.callback()).post('/account/keys').send({ name: 'lost' })
		record('POST /keys', res.text)
		expect([res.status, res.body.code]).toEqual([400, 'invalid_argument'])
		expect(await keyward.listKeys()).toEqual([])
	})

	it('leaves other paths and methods to the next middleware', async () => {
		const { app } = await setup()
		const elsewhere: [KeyRouteMethod | 'put' | 'patch', string][] = [
			['get', '/account/other'],
			['put', '/account/keys'],
			['get', '/account/keys/revoke-all'],
			['post', '/account/keys/abcdabcdabcd/other'],
			['patch', '/account/keys/abcdabcdabcd'],
			['get', '/accountkeys'],
			['get', '/keys'],
		]
		for (const [method, path] of elsewhere) {
			const res = await request(app)[method](path).set('x-user', 'alice')
			expect([res.status, res.body]).toEqual([404, { detail: 'host 404' }])
		}
		expect(() => keyManagementRouter(createKeyward(), { owner: () => 'x', prefix: 'account' })).toThrow(
			/prefix/,
		)
		expect(() => keyManagementRouter(createKeyward(), { owner: () => 'x', prefix: '/a/' })).toThrow(/prefix/)
	})

	it('refuses a chunked body over the limit with 413 and still answers', async () => {
		const { app, keyward } = await setup()
		const server = createServer(app)
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
		try {
			const { port } = server.address() as AddressInfo
			const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
				const req = httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/account/keys' }, (res) => {
					let text = ''
					res.on('data', (chunk: Buffer) => {
						text += chunk.toString()
					})
					res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
				})
				req.on('error', reject)
				req.setHeader('x-user', 'alice')
				req.setHeader('content-type', 'application/json')
				req.write('{"name":"')
				for (let i = 0; i < 20; i++) req.write('x'.repeat(1024))
				req.end('"}')
			})
			expect(answer.status).toBe(413)
			expect(JSON.parse(answer.text)).toEqual({
				detail: 'Request body too large',
				code: 'payload_too_large',
			})
			expect(await keyward.listKeys()).toEqual([])
		} finally {
			server.closeAllConnections()
			await new Promise((resolve) => server.close(resolve))
		}
	})
})
