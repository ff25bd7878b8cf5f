import { describeAdapterHostileRequests } from '@keyward/internal-testing'
import Fastify from 'fastify'
import { apiKeyAuth } from '../src/index.js'
import { listenerOf } from './app.js'

describeAdapterHostileRequests({
	listener(keyward, record) {
		const app = Fastify()
		app.setErrorHandler((error, _request, reply) => {
			record.error(error)
			return reply.code(500).send({ error: 'internal' })
		})
		app.addHook('onRequest', apiKeyAuth(keyward))
		app.all('/*', async (request) => {
			record.hit()
			return { id: request.apiKey?.id ?? null, url: request.originalUrl }
		})
		return listenerOf(app)
	},
})
