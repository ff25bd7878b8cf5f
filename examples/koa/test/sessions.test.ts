import { readFileSync } from 'node:fs'
import { createKeyward } from '@keyward/core'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createSessionApp } from '../src/sessions.js'

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')

describe('logging in with a key, on Koa', () => {
	it('is what the Koa README shows, word for word', () => {
		const readme = read('../../../packages/koa/README.md')
		const section = readme.slice(readme.indexOf('## Logging in with a key'))
		expect(/```ts\n([\s\S]*?)```/.exec(section)?.[1]).toBe(read('../src/sessions.ts'))
	})

	it('logs in with JSON, then answers with the cookie alone; a cross-site DELETE is refused', async () => {
		const keyward = createKeyward()
		const { key } = await keyward.createKey({ owner: 'acme' })
		const server = createSessionApp(keyward).callback()
		const login = await request(server).post('/login').send({ api_key: key })
		expect(login.body).toMatchObject({ owner: 'acme' })
		const cookie = String(login.headers['set-cookie']).split(';')[0] as string
		await request(server).get('/app').set('Cookie', cookie).expect(200, { owner: 'acme' })
		const crossSite = await request(server)
			.delete('/app/notes/7')
			.set({ Cookie: cookie, 'Sec-Fetch-Site': 'cross-site' })
		expect([crossSite.status, crossSite.body.code]).toEqual([403, 'cross_origin'])
		await request(server)
			.delete('/app/notes/7')
			.set('Cookie', cookie)
			.expect(200, { deleted: '7', by: 'acme' })
		const opened = await request(server).get(`/app?api_key=${key}`).set('Sec-Fetch-Mode', 'navigate')
		expect([opened.status, opened.headers.location]).toEqual([303, '/app'])
	})
})
