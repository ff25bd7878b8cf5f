import { getRequestListener } from '@hono/node-server'
import { describeAdapterFuzz } from '@keyward/internal-testing'
import { Hono } from 'hono'
import { apiKeyAuth } from '../src/hono/index.js'

describeAdapterFuzz({
	// @hono/node-server answers 400 itself to a target it cannot make a URL of.
	answersUnroutedWith: 400,
	// Hono reads the Web request, whose Headers join repeated values.
	headers: 'web',
	listener(keyward, record) {
		const app = new Hono()
		app.onError((error, c) => {
			record.error(error)
			return c.json({ error: 'internal' }, 500)
		})
		app.use(async (_c, next) => {
			record.enter()
			await next()
		})
		app.use(apiKeyAuth(keyward))
		app.all('*', (c) => c.json({ id: c.get('apiKey')?.id ?? null }))
		return getRequestListener(app.fetch)
	},
})
