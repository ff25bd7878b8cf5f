import type { RequestListener } from 'node:http'
import { apiKeyAuth as expressApiKeyAuth, requireScopes as expressRequireScopes } from '@keyward/express'
import { apiKeyAuth as koaApiKeyAuth, requireScopes as koaRequireScopes } from '@keyward/koa'
import express from 'express'
import Koa, { type Middleware } from 'koa'
import * as tokensExpress from '../src/express.js'
import * as tokensKoa from '../src/koa.js'
import { createTokenVerifier, type TokenVerifier } from '../src/verifier.js'
import { AUDIENCE, type Fixture, ISSUER } from './support.js'

/**
 * The same routes in both frameworks:
 * - `POST /token`, `POST /token-short` (60 s tokens), `POST /token-parsed` (behind a JSON body parser)
 * - `GET /.well-known/jwks.json`
 * - `GET /reports`: `tokenAuth` then the adapter's `requireScopes('reports:read')`
 * - `GET /strict`: `tokenAuth(verifier, { scopes: ['reports:read'] })`
 * - `GET /optional`: `tokenAuth(verifier, { optional: true })`
 * - `GET /keyed`: the adapter's `apiKeyAuth`, to compare refusals with `/token`
 */
export type AppBuilder = (f: Fixture) => RequestListener

function verifierFor(f: Fixture): TokenVerifier {
	return createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: f.issuer, now: f.clock.now })
}

export const buildExpressApp: AppBuilder = (f) => {
	const { tokenAuth, tokenHandler, jwksHandler } = tokensExpress
	const verifier = verifierFor(f)
	const app = express()
	app.post('/token', tokenHandler(f.issuer))
	app.post('/token-short', tokenHandler(f.issuer, { ttlMs: 60_000 }))
	app.post('/token-parsed', express.json(), tokenHandler(f.issuer))
	app.get('/.well-known/jwks.json', jwksHandler(f.issuer))
	app.get('/reports', tokenAuth(verifier), expressRequireScopes('reports:read'), (req, res) => {
		res.json({
			owner: req.apiKey?.owner,
			keyId: req.apiKey?.id,
			scopes: req.apiKey?.scopes,
			jti: req.token?.jti,
		})
	})
	app.get('/strict', tokenAuth(verifier, { scopes: ['reports:read'] }), (req, res) => {
		res.json({ owner: req.apiKey?.owner })
	})
	app.get('/optional', tokenAuth(verifier, { optional: true }), (req, res) => {
		res.json({ owner: req.apiKey?.owner ?? null })
	})
	app.get('/keyed', expressApiKeyAuth(f.keyward), (_req, res) => {
		res.json({ ok: true })
	})
	return app
}

/** Run `middleware` in order for one method and path (the tokens package has no router dependency). */
function route(method: string, path: string, ...middleware: Middleware[]): Middleware {
	return async function routeMiddleware(ctx, next) {
		if (ctx.method !== method || ctx.path !== path) return next()
		const run = async (i: number): Promise<void> => {
			const current = middleware[i]
			if (current !== undefined) await current(ctx, () => run(i + 1))
		}
		await run(0)
	}
}

/** A minimal JSON body parser, standing in for `@koa/bodyparser`. */
const parseJson: Middleware = async (ctx, next) => {
	const chunks: Buffer[] = []
	for await (const chunk of ctx.req) chunks.push(chunk as Buffer)
	const text = Buffer.concat(chunks).toString('utf8')
	;(ctx.request as { body?: unknown }).body = text.length === 0 ? {} : JSON.parse(text)
	await next()
}

export const buildKoaApp: AppBuilder = (f) => {
	const { tokenAuth, tokenHandler, jwksHandler } = tokensKoa
	const verifier = verifierFor(f)
	const app = new Koa()
	app.use(route('POST', '/token', tokenHandler(f.issuer)))
	app.use(route('POST', '/token-short', tokenHandler(f.issuer, { ttlMs: 60_000 })))
	app.use(route('POST', '/token-parsed', parseJson, tokenHandler(f.issuer)))
	app.use(route('GET', '/.well-known/jwks.json', jwksHandler(f.issuer)))
	app.use(
		route('GET', '/reports', tokenAuth(verifier), koaRequireScopes('reports:read'), (ctx) => {
			const { apiKey, token } = ctx.state
			ctx.body = { owner: apiKey?.owner, keyId: apiKey?.id, scopes: apiKey?.scopes, jti: token?.jti }
		}),
	)
	app.use(
		route('GET', '/strict', tokenAuth(verifier, { scopes: ['reports:read'] }), (ctx) => {
			ctx.body = { owner: ctx.state.apiKey?.owner }
		}),
	)
	app.use(
		route('GET', '/optional', tokenAuth(verifier, { optional: true }), (ctx) => {
			ctx.body = { owner: ctx.state.apiKey?.owner ?? null }
		}),
	)
	app.use(
		route('GET', '/keyed', koaApiKeyAuth(f.keyward), (ctx) => {
			ctx.body = { ok: true }
		}),
	)
	return app.callback()
}

export const frameworks: [name: string, build: AppBuilder][] = [
	['express', buildExpressApp],
	['koa', buildKoaApp],
]
