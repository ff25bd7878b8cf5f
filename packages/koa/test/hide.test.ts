import { describeAdapterHiding, expectUrls, send, useHarness } from '@keyward/internal-testing'
import { expect, it } from 'vitest'
import { apiKeyAuth } from '../src/index.js'
import { adapter, serveApp } from './app.js'

useHarness()

describeAdapterHiding(adapter, ({ keyward, key }) => {
	it('rebuilds ctx.URL when it was read before authentication', async () => {
		const early: string[] = []
		const target = await serveApp(async (ctx, next) => {
			early.push(ctx.URL.search)
			await next()
		}, apiKeyAuth(keyward))
		expect((await send(target.server, `/?api_key=${key()}&n=1`)).status).toBe(200)
		expect(early[0]).toContain('api_key=')
		expectUrls(adapter.urlForms, target.server, target.hits[0], '/?n=1')
	})
})
