import express from 'express'
import Koa from 'koa'
import request from 'supertest'
import { beforeEach, describe, expect, it } from 'vitest'
import * as tokensExpress from '../src/express.js'
import * as tokensKoa from '../src/koa.js'
import { createFixture, type Fixture } from './support.js'

describe('tokenHandler hides a key sent in the query from every copy of the URL', () => {
	let f: Fixture
	beforeEach(async () => {
		f = await createFixture()
	})

	it('Koa: ctx.url, ctx.querystring, ctx.originalUrl, ctx.href and a ctx.URL read before', async () => {
		const seen: Record<string, string>[] = []
		const app = new Koa()
		app.use(async (ctx, next) => {
			// Read before the handler runs, as a logger might: Koa keeps the parsed URL from now on.
			expect(ctx.URL.search).toContain('api_key=')
			await next()
			seen.push({
				url: ctx.url,
				querystring: ctx.querystring,
				originalUrl: ctx.originalUrl,
				href: ctx.href,
				URL: ctx.URL.href,
				requestOriginalUrl: ctx.request.originalUrl,
			})
		})
		app.use(tokensKoa.tokenHandler(f.issuer))
		const res = await request(app.callback()).post(`/token?x=1&api_key=${f.apiKey}`)
		expect(res.status).toBe(200)
		expect(seen).toHaveLength(1)
		for (const copy of Object.values(seen[0] ?? {})) expect(copy).not.toContain(f.apiKey)
		expect(seen[0]?.querystring).toBe('x=1')
	})

	it('Express: req.url, req.originalUrl and req.query, whatever the answer', async () => {
		const seen: Record<string, string>[] = []
		const app = express()
		app.use((req, res, next) => {
			res.on('finish', () =>
				seen.push({ url: req.url, originalUrl: req.originalUrl, query: JSON.stringify(req.query) }),
			)
			next()
		})
		app.post('/token', tokensExpress.tokenHandler(f.issuer))
		expect((await request(app).post(`/token?x=1&api_key=${f.apiKey}`)).status).toBe(200)
		expect((await request(app).post('/token?api_key=kw_wrong&x=2')).status).toBe(401)
		expect(seen).toHaveLength(2)
		for (const copies of seen) {
			for (const copy of Object.values(copies)) expect(copy).not.toMatch(/api_key|kw_/)
		}
	})
})
