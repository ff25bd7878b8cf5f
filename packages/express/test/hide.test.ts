import {
	describeAdapterHiding,
	mentions,
	type Seen,
	send,
	serve,
	useHarness,
} from '@keyward/internal-testing'
import express from 'express'
import { expect, it } from 'vitest'
import { apiKeyAuth } from '../src/index.js'
import { adapter, record } from './app.js'

useHarness()

describeAdapterHiding(adapter, ({ keyward, key }) => {
	it('keeps originalUrl and url apart under a mounted router', async () => {
		const hits: Seen[] = []
		const app = express()
		const router = express.Router()
		router.use(apiKeyAuth(keyward))
		router.get('/items', record(hits))
		app.use('/api', router)
		app.use(record(hits))
		const server = await serve(app)
		expect((await send(server, `/api/items?api_key=${key()}&b=2`)).status).toBe(200)
		expect(hits[0]?.urls).toStrictEqual({ url: '/items?b=2', originalUrl: '/api/items?b=2' })
		expect(hits[0]?.query).toStrictEqual({ b: '2' })
		// Leaving the router restores req.url from the stripped copy.
		expect((await send(server, `/api/other?b=3&api_key=${key()}`)).status).toBe(200)
		expect(hits[1]?.urls).toStrictEqual({ url: '/api/other?b=3', originalUrl: '/api/other?b=3' })
		expect(hits[1]?.apiKey).toBeDefined()
		expect(mentions(hits[0], key()) || mentions(hits[1], key())).toBe(false)
	})
})
