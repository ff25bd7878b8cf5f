import { describeAdapterFailureLimit } from '@keyward/internal-testing'
import Koa from 'koa'
import { apiKeyAuth } from '../src/index.js'

describeAdapterFailureLimit({
	name: 'Koa',
	proxySetting: 'app.proxy = true, app.maxIpsCount = 1',
	listener(keyward, behindProxy) {
		const app = new Koa()
		if (behindProxy) {
			app.proxy = true
			// Koa then reads only the last X-Forwarded-For entry, the one the proxy wrote.
			app.maxIpsCount = 1
		}
		app.use(apiKeyAuth(keyward))
		app.use((ctx) => {
			ctx.body = { id: ctx.state.apiKey?.id ?? null, ip: ctx.ip }
		})
		return app.callback()
	},
})
