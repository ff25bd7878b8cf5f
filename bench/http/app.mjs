// The app of each framework, built the same way for the HTTP suite (listening on a socket) and the
// injection suite (called without one): the row's middleware, then GET / answering a small JSON body.
const body = { hello: 'world' }

/**
 * Build a row's app. Resolves with `dispatch(req, res)`, Node's request listener of the app, and
 * `listen()`, which starts it on a free port of 127.0.0.1 and resolves with the `http.Server`.
 */
export async function buildApp(framework, setup) {
	if (framework === 'express') {
		const { default: express } = await import('express')
		const app = express()
		app.disable('x-powered-by')
		for (const middleware of setup.use ?? []) app.use(middleware)
		app.get('/', (_req, res) => {
			res.json(body)
		})
		return { dispatch: app, listen: () => listening(app.listen(0, '127.0.0.1')) }
	}
	if (framework === 'fastify') {
		const { default: Fastify } = await import('fastify')
		const app = Fastify()
		if (setup.plugin !== undefined) await app.register(...setup.plugin)
		for (const hook of setup.use ?? []) app.addHook('onRequest', hook)
		app.decorateRequest('apiKeyRecord', null)
		app.get('/', async () => body)
		await app.ready()
		// Fastify's own server gets its request listener at construction, before it listens.
		const [dispatch] = app.server.listeners('request')
		return {
			dispatch,
			listen: async () => {
				await app.listen({ port: 0, host: '127.0.0.1' })
				return app.server
			},
		}
	}
	if (framework === 'hono') {
		const { Hono } = await import('hono')
		const { getRequestListener, serve } = await import('@hono/node-server')
		const app = new Hono()
		for (const middleware of setup.use ?? []) app.use(middleware)
		app.get('/', (c) => c.json(body))
		return {
			dispatch: getRequestListener(app.fetch),
			listen: () => listening(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })),
		}
	}
	if (framework === 'koa') {
		const { default: Koa } = await import('koa')
		const app = new Koa()
		for (const middleware of setup.use ?? []) app.use(middleware)
		app.use((ctx) => {
			ctx.body = body
		})
		return { dispatch: app.callback(), listen: () => listening(app.listen(0, '127.0.0.1')) }
	}
	throw new Error(`unknown framework ${framework}`)
}

async function listening(server) {
	if (!server.listening) await new Promise((resolve) => server.once('listening', resolve))
	return server
}
