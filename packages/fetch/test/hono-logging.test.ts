import { getRequestListener } from '@hono/node-server'
import { createKeyward, type HideCredentials, type Keyward } from '@keyward/core'
import {
	describeAdapterLogging,
	type RequestLog,
	secret,
	serve,
	tamper,
	useHarness,
} from '@keyward/internal-testing'
import { Hono } from 'hono'
import { logger } from 'hono/logger'
import { describe, expect, it } from 'vitest'
import { apiKeyAuth, createHonoLogPrinter, requireScopes } from '../src/hono/index.js'
import { incomingOf, snapshot } from './app.js'

useHarness()

/**
 * An app logging at every stage: a pino-style serializer before auth, a logger once the response
 * is done, a middleware after auth, the handler and the error handler.
 */
async function loggedApp(keyward: Keyward, hide: HideCredentials, log: RequestLog) {
	const app = new Hono()
	app.use(async function accessLog(c, next) {
		const { method, url, path } = c.req
		const urls = { url, path }
		log.redacted({
			method,
			urls,
			query: c.req.query(),
			headers: c.req.header(),
			rawHeaders: incomingOf(c).rawHeaders,
		})
		await next()
		log.raw(snapshot(c))
		log.finished()
	})
	app.use(apiKeyAuth(keyward, { hideCredentials: hide }))
	app.use(async function afterAuth(c, next) {
		log.raw(snapshot(c))
		await next()
	})
	app.get('/admin', requireScopes('admin'))
	app.get('/boom', () => {
		throw new Error('handler failed')
	})
	app.all('*', (c) => {
		log.handled(c.get('apiKey'))
		return c.json({ id: c.get('apiKey')?.id ?? null })
	})
	app.onError((error, c) => {
		log.raw(snapshot(c), error)
		return c.json({ error: 'internal' }, 500)
	})
	return serve(getRequestListener(app.fetch))
}

describeAdapterLogging(loggedApp)

describe('hono/logger', () => {
	it('prints no key through createHonoLogPrinter, even placed before apiKeyAuth', async () => {
		const keyward = createKeyward()
		const key = secret((await keyward.createKey({ owner: 'acme' })).key)
		const lines: string[] = []
		const plain: string[] = []
		const app = new Hono()
		app.use(logger(createHonoLogPrinter(keyward, (line) => void lines.push(line))))
		app.use(logger((line) => void plain.push(line)))
		app.use(apiKeyAuth(keyward))
		app.get('*', (c) => c.text('ok'))
		expect((await app.request(`/r?api_key=${key}&page=2`)).status).toBe(200)
		expect((await app.request(`/r?api_key=${tamper(key)}`)).status).toBe(401)
		expect(lines).toHaveLength(4)
		expect(lines[0]).toBe('<-- GET /r?page=2')
		for (const line of lines) expect(line).not.toContain(key.slice(3, -1))
		// Without it, the logger prints the URL it copied before authentication.
		expect(plain[0]).toContain(key)
	})
})
