import { describeLeakReportHandler } from '@keyward/internal-testing'
import Koa from 'koa'
import { apiKeyAuth, leakReportHandler } from '../src/index.js'

describeLeakReportHandler({
	name: 'Koa',
	appFor(keyward, options, hostJson) {
		const app = new Koa()
		const leaks = leakReportHandler(keyward, options)
		const auth = apiKeyAuth(keyward)
		app.use(async (ctx, next) => {
			try {
				await next()
			} catch {
				ctx.status = 500
				ctx.body = { detail: 'host error handler' }
			}
		})
		if (hostJson)
			app.use(async (ctx, next) => {
				const chunks: Buffer[] = []
				for await (const chunk of ctx.req) chunks.push(chunk as Buffer)
				if (chunks.length > 0)
					(ctx.request as { body?: unknown }).body = JSON.parse(Buffer.concat(chunks).toString())
				await next()
			})
		app.use(async (ctx, next) => {
			if (ctx.path === '/leaks') return leaks(ctx, next)
			if (ctx.path !== '/api/hello') return next()
			await auth(ctx, async () => {
				ctx.body = { owner: ctx.state.apiKey?.owner }
			})
		})
		return app.callback()
	},
	handler: leakReportHandler,
})
