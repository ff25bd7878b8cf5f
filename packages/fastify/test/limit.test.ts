import { describeAdapterFailureLimit } from '@keyward/internal-testing'
import Fastify from 'fastify'
import { apiKeyAuth } from '../src/index.js'
import { listenerOf } from './app.js'

describeAdapterFailureLimit({
	name: 'Fastify',
	proxySetting: "Fastify({ trustProxy: 'loopback' })",
	listener(keyward, behindProxy) {
		const app = Fastify(behindProxy ? { trustProxy: 'loopback' } : {})
		app.addHook('onRequest', apiKeyAuth(keyward))
		app.all('/*', async (request) => ({ id: request.apiKey?.id ?? null, ip: request.ip }))
		return listenerOf(app)
	},
})
