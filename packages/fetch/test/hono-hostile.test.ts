import { getRequestListener } from '@hono/node-server'
import { describeAdapterHostileRequests } from '@keyward/internal-testing'
import { Hono } from 'hono'
import { apiKeyAuth } from '../src/hono/index.js'

describeAdapterHostileRequests({
	listener(keyward, record) {
		const app = new Hono()
		app.onError((error, c) => {
			record.error(error)
			return c.json({ error: 'internal' }, 500)
		})
		app.use(apiKeyAuth(keyward))
		app.all('*', (c) => {
			record.hit()
			return c.json({ id: c.get('apiKey')?.id ?? null, url: c.req.url })
		})
		return getRequestListener(app.fetch)
	},
})
