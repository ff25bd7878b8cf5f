import { describeAdapterFuzz } from '@keyward/internal-testing'
import Fastify from 'fastify'
import { apiKeyAuth, createFrameworkErrorHandler } from '../src/index.js'
import { listenerOf } from './app.js'

describeAdapterFuzz({
	answersUnroutedWith: 400,
	listener(keyward, record) {
		// Fastify answers targets its router cannot decode itself, quoting them: redacted here.
		const app = Fastify({ frameworkErrors: createFrameworkErrorHandler(keyward) })
		app.setErrorHandler((error, _request, reply) => {
			record.error(error)
			return reply.code(500).send({ error: 'internal' })
		})
		app.addHook('onRequest', (_request, _reply, done) => {
			record.enter()
			done()
		})
		app.addHook('onRequest', apiKeyAuth(keyward))
		app.all('/*', async (request) => ({ id: request.apiKey?.id ?? null }))
		return listenerOf(app)
	},
})
