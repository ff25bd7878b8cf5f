import { getRequestListener } from '@hono/node-server'
import { describeAdapterFailureLimit } from '@keyward/internal-testing'
import { type Context, Hono } from 'hono'
import { apiKeyAuth, socketAddress } from '../src/hono/index.js'

/** Behind one proxy on loopback: the last X-Forwarded-For entry, the one the proxy wrote. */
function behindLoopbackProxy(c: Context): string | undefined {
	const peer = socketAddress(c)
	const forwarded = c.req.header('x-forwarded-for')
	if (forwarded === undefined || peer === undefined || !peer.startsWith('127.')) return peer
	return forwarded.split(',').at(-1)?.trim() || peer
}

describeAdapterFailureLimit({
	name: 'Hono',
	proxySetting: 'client: the last X-Forwarded-For entry from a loopback peer',
	listener(keyward, behindProxy) {
		const app = new Hono()
		const client = behindProxy ? behindLoopbackProxy : socketAddress
		app.use(apiKeyAuth(keyward, behindProxy ? { client } : {}))
		app.all('*', (c) => c.json({ id: c.get('apiKey')?.id ?? null, ip: client(c) }))
		return getRequestListener(app.fetch)
	},
})
