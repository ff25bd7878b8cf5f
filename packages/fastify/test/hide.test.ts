import { describeAdapterHiding, expectUrls, send, useHarness } from '@keyward/internal-testing'
import { expect, it } from 'vitest'
import { apiKeyAuth } from '../src/index.js'
import { adapter, serveApp } from './app.js'

useHarness()

describeAdapterHiding(adapter, ({ keyward, key }) => {
	it('replaces request.originalUrl when a hook read it before authentication', async () => {
		const early: string[] = []
		const target = await serveApp((request, _reply, done) => {
			early.push(request.originalUrl)
			done()
		}, apiKeyAuth(keyward))
		expect((await send(target.server, `/?api_key=${key()}&n=1`)).status).toBe(200)
		expect(early[0]).toContain('api_key=')
		expectUrls(adapter.urlForms, target.server, target.hits[0], '/?n=1')
	})

	it('removes the key from request.query in every spelling of the parameter', async () => {
		const target = await serveApp(apiKeyAuth(keyward, { optional: true }))
		expect((await send(target.server, `/?api%5Fkey=${key()}&n=1`)).status).toBe(200)
		expect(target.hits[0]?.query).toStrictEqual({ n: '1' })
		expect((await send(target.server, `/?api_key[]=x&n=2`)).status).toBe(401)
	})
})
