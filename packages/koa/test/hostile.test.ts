import { describeAdapterHostileRequests } from '@keyward/internal-testing'
import Koa from 'koa'
import { apiKeyAuth } from '../src/index.js'

describeAdapterHostileRequests({
	listener(keyward, record) {
		const app = new Koa()
		app.on('error', (error: unknown) => record.error(error))
		app.use(apiKeyAuth(keyward))
		app.use((ctx) => {
			record.hit()
			ctx.body = { id: ctx.state.apiKey?.id ?? null, url: ctx.originalUrl }
		})
		return app.callback()
	},
})
