import type { HideCredentials, Keyward } from '@keyward/core'
import { createKeyward } from '@keyward/core'
import {
	describeAdapterLogging,
	type RequestLog,
	secret,
	serve,
	tamper,
	useHarness,
} from '@keyward/internal-testing'
import Fastify, { type FastifyPluginAsync } from 'fastify'
import { describe, expect, it } from 'vitest'
import {
	apiKeyAuth,
	createFrameworkErrorHandler,
	createLogSerializers,
	keywardAuth,
	requireScopes,
} from '../src/index.js'
import { listenerOf, snapshot } from './app.js'

useHarness()

/**
 * An app logging at every stage: a pino-style serializer in the first hook, a logger when the
 * response is done, a hook after auth, the handler and the error handler.
 */
async function loggedApp(keyward: Keyward, hide: HideCredentials, log: RequestLog) {
	const app = Fastify()
	app.addHook('onRequest', (request, reply, done) => {
		const { method, originalUrl, url, query, headers, raw } = request
		const seen = { url: originalUrl, path: url }
		log.redacted({
			method,
			urls: seen,
			query: query as Record<string, unknown>,
			headers,
			rawHeaders: raw.rawHeaders,
		})
		reply.raw.on('finish', () => {
			log.raw(snapshot(request))
			log.finished()
		})
		done()
	})
	app.addHook('onRequest', apiKeyAuth(keyward, { hideCredentials: hide }))
	app.addHook('onRequest', (request, _reply, done) => {
		log.raw(snapshot(request))
		done()
	})
	app.setErrorHandler((error, request, reply) => {
		log.raw(snapshot(request), error as Error)
		return reply.code(500).send({ error: 'internal' })
	})
	app.get('/admin', { preHandler: requireScopes('admin') }, async () => ({}))
	app.get('/boom', async () => {
		throw new Error('handler failed')
	})
	app.all('/*', async (request) => {
		log.handled(request.apiKey)
		return { id: request.apiKey?.id ?? null }
	})
	return serve(listenerOf(app))
}

describeAdapterLogging(loggedApp)

describe("Fastify's own logger", () => {
	const keyward = createKeyward()

	/** An app logging with pino to `lines`: the plugin on `/api`, a public route beside it. */
	function appLogging(lines: string[], serializers: boolean) {
		const app = Fastify({
			logger: {
				level: 'info',
				stream: { write: (line: string) => void lines.push(line) },
				...(serializers ? { serializers: createLogSerializers(keyward) } : {}),
			},
			frameworkErrors: createFrameworkErrorHandler(keyward),
		})
		const api: FastifyPluginAsync = async (context) => {
			await context.register(keywardAuth, { keyward })
			context.get('/reports', async (request) => ({ owner: request.apiKey?.owner }))
			context.get('/boom', async () => {
				throw new Error('handler failed')
			})
		}
		app.register(api, { prefix: '/api' })
		return app
	}
	it('logs no key in any line with createLogSerializers, whatever the answer', async () => {
		const key = secret((await keyward.createKey({ owner: 'acme' })).key)
		const lines: string[] = []
		const app = appLogging(lines, true)
		const answers = []
		for (const url of [
			`/api/reports?api_key=${key}&page=2`,
			`/api/reports?api_key=${tamper(key)}`,
			`/api/boom?api%5Fkey=${key}`,
			`/%zz?api_key=${key}`,
		]) {
			const res = await app.inject({ url })
			answers.push([res.statusCode, res.body])
		}
		expect(answers.map(([status]) => status)).toEqual([200, 401, 500, 400])
		expect(JSON.stringify(answers)).not.toContain(key)
		const incoming = lines.filter((line) => line.includes('incoming request'))
		expect(incoming).toHaveLength(4)
		expect(JSON.parse(incoming[0] as string).req.url).toBe('/api/reports?page=2')
		for (const line of lines) expect(line).not.toContain(key.slice(3))
	})

	it("shows why: Fastify's default serializer logs the URL before any hook", async () => {
		const key = secret((await keyward.createKey({ owner: 'acme' })).key)
		const lines: string[] = []
		const app = appLogging(lines, false)
		expect((await app.inject({ url: `/api/reports?api_key=${key}` })).statusCode).toBe(200)
		expect(lines.find((line) => line.includes('incoming request'))).toContain(key)
	})
})
