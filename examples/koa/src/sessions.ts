import type { Keyward } from '@keyward/core'
import { apiKeyAuth, sessionLogin, sessionLogout } from '@keyward/koa'
import Router from '@koa/router'
import Koa from 'koa'

/**
 * Logging in with an API key on Koa: `POST /login` (a form or JSON with `api_key`, and `username`
 * if you like) sets the session cookie, `POST /logout` ends it, and `/app` takes the key or the
 * cookie. A page opened as `/app?api_key=<key>` is logged in and sent on to `/app` without the key.
 */
export function createSessionApp(keyward: Keyward): Koa {
	const auth = apiKeyAuth(keyward, { session: { fromQuery: true } })
	const router = new Router()
	router.post('/login', sessionLogin(keyward, { lifetimeMs: 12 * 3_600_000 }))
	router.post('/logout', sessionLogout(keyward))
	router.get('/app', auth, (ctx) => {
		ctx.body = { owner: ctx.state.apiKey?.owner }
	})
	router.delete('/app/notes/:id', auth, (ctx) => {
		ctx.body = { deleted: ctx.params.id, by: ctx.state.apiKey?.owner }
	})
	const app = new Koa()
	app.use(router.routes())
	return app
}
