import { describeAdapterFuzz } from '@keyward/internal-testing'
import Koa from 'koa'
import { apiKeyAuth } from '../src/index.js'

describeAdapterFuzz({
	answersUnroutedWith: false,
	listener(keyward, record) {
		const app = new Koa()
		app.on('error', (error: unknown) => record.error(error))
		app.use((_ctx, next) => {
			record.enter()
			return next()
		})
		app.use(apiKeyAuth(keyward))
		app.use((ctx) => {
			ctx.body = { id: ctx.state.apiKey?.id ?? null }
		})
		return app.callback()
	},
})
