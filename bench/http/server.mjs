// One benchmark server: `node server.mjs <row>`, started by http.mjs with an IPC channel.
// It listens on 127.0.0.1, reports { port, key }, answers CPU-usage requests, and exits on 'stop'.
import { ROWS } from './rows.mjs'

const row = ROWS[process.argv[2]]
if (row === undefined || process.send === undefined) {
	console.error('usage: started by http.mjs with a row name and an IPC channel')
	process.exit(2)
}
const env = JSON.parse(process.env.KEYWARD_BENCH_ENV ?? '{}')
const setup = await row.setup(env)
const body = { hello: 'world' }
let server

if (row.framework === 'express') {
	const { default: express } = await import('express')
	const app = express()
	app.disable('x-powered-by')
	for (const middleware of setup.use ?? []) app.use(middleware)
	app.get('/', (_req, res) => {
		res.json(body)
	})
	server = app.listen(0, '127.0.0.1')
} else if (row.framework === 'fastify') {
	const { default: Fastify } = await import('fastify')
	const app = Fastify()
	if (setup.plugin !== undefined) await app.register(...setup.plugin)
	for (const hook of setup.use ?? []) app.addHook('onRequest', hook)
	app.decorateRequest('apiKeyRecord', null)
	app.get('/', async () => body)
	await app.listen({ port: 0, host: '127.0.0.1' })
	server = app.server
} else if (row.framework === 'hono') {
	const { Hono } = await import('hono')
	const { serve } = await import('@hono/node-server')
	const app = new Hono()
	for (const middleware of setup.use ?? []) app.use(middleware)
	app.get('/', (c) => c.json(body))
	server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
} else {
	const { default: Koa } = await import('koa')
	const app = new Koa()
	for (const middleware of setup.use ?? []) app.use(middleware)
	app.use((ctx) => {
		ctx.body = body
	})
	server = app.listen(0, '127.0.0.1')
}
if (!server.listening) await new Promise((resolve) => server.once('listening', resolve))

process.on('message', async (message) => {
	if (message === 'cpu') {
		const { user, system } = process.cpuUsage()
		process.send({ type: 'cpu', micros: user + system })
	} else if (message === 'stop') {
		server.closeAllConnections?.()
		server.close()
		await setup.close?.()
		process.exit(0)
	}
})
process.send({ type: 'ready', port: server.address().port, key: setup.key ?? null })
