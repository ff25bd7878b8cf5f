import { getRequestListener } from '@hono/node-server'
import { createKeyward } from '@keyward/core'
import {
	describeKeyManagementAttacks,
	describeKeyManagementOpenApi,
	describeKeyManagementRouter,
	type HeaderReader,
	type KeyRouterAdapter,
	policyFor,
} from '@keyward/internal-testing'
import { type Context, Hono } from 'hono'
import { expect, it } from 'vitest'
import { keyManagementApp } from '../src/hono/index.js'

/** Hono's headers as the shared suites read a request: `get(name)`. */
const headerReader = (c: Context): HeaderReader => ({ get: (name) => c.req.header(name) })

const adapter: KeyRouterAdapter = {
	name: 'Hono',
	appFor(keyward, policy, hostJson) {
		const app = new Hono()
		if (hostJson) {
			// The host reads JSON bodies itself, as a validator would.
			app.use(async (c, next) => {
				if (c.req.header('content-type')?.includes('json')) await c.req.json()
				await next()
			})
		}
		app.onError((error, c) => c.json({ detail: 'host error handler', message: error.message }, 500))
		app.notFound((c) => c.json({ detail: 'host 404' }, 404))
		app.route('/account', keyManagementApp(keyward, policyFor(policy, headerReader)))
		return getRequestListener(app.fetch)
	},
	router: (keyward, options) => keyManagementApp(keyward, policyFor(options, headerReader)),
}

describeKeyManagementAttacks(adapter)
describeKeyManagementOpenApi(adapter)

describeKeyManagementRouter(adapter, ({ record }) => {
	it('leaves other paths and methods to the host', async () => {
		const keyward = createKeyward()
		const app = new Hono()
		app.notFound((c) => c.json({ detail: 'host 404' }, 404))
		app.route('/account', keyManagementApp(keyward, { owner: () => 'alice' }))
		for (const [method, path] of [
			['GET', '/account/other'],
			['PUT', '/account/keys'],
			['POST', '/account/keys/abcdabcdabcd/other'],
			['PATCH', '/account/keys/abcdabcdabcd'],
			['GET', '/keys'],
		]) {
			const res = await app.request(path as string, { method: method as string })
			const text = await res.text()
			record(`${method} ${path}`, text)
			expect([res.status, JSON.parse(text)]).toEqual([404, { detail: 'host 404' }])
		}
	})

	it('refuses a body the host read without leaving it to Hono', async () => {
		const keyward = createKeyward()
		const app = new Hono()
		app.use(async (c, next) => {
			await c.req.raw.text()
			await next()
		})
		app.route('/account', keyManagementApp(keyward, { owner: () => 'alice' }))
		const res = await app.request('/account/keys', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: '{"name":"lost"}',
		})
		const text = await res.text()
		record('POST /keys', text)
		expect([res.status, JSON.parse(text).code]).toEqual([400, 'invalid_argument'])
		expect(await keyward.listKeys()).toEqual([])
	})
})
