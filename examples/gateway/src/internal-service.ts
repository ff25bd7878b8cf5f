import { requireScopes } from '@keyward/koa'
import { tokenAuth } from '@keyward/tokens/koa'
import Router from '@koa/router'
import Koa from 'koa'

/** Options of {@link createInternalService}. */
export interface InternalServiceOptions {
	/** The edge's token issuer name (`iss`). */
	issuer: string
	/** This service's name, the tokens' `aud`. */
	audience: string
	/** Where the edge publishes its public keys. */
	jwksUrl: URL
}

/**
 * The internal reports service. It has no key store and no store credentials: it trusts only tokens
 * signed by the edge, checked offline against the edge's JWKS (fetched once, cached, refetched when
 * a token names an unknown key).
 */
export function createInternalService(options: InternalServiceOptions): Koa {
	const app = new Koa()
	const router = new Router()

	app.use(tokenAuth({ issuer: options.issuer, audience: options.audience, jwks: options.jwksUrl }))

	router.get('/reports', requireScopes('reports:read'), (ctx) => {
		ctx.body = {
			owner: ctx.state.apiKey?.owner,
			keyId: ctx.state.apiKey?.id,
			reports: [
				{ id: 1, title: 'November usage' },
				{ id: 2, title: 'Top endpoints' },
			],
		}
	})

	router.get('/whoami', (ctx) => {
		const token = ctx.state.token
		ctx.body = { sub: token?.sub, keyId: token?.key_id, scope: token?.scope, exp: token?.exp }
	})

	app.use(router.routes()).use(router.allowedMethods())
	return app
}
