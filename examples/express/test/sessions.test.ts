import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createKeyward } from '@keyward/core'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createSessionApp } from '../src/sessions.js'

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')

/** The first TypeScript block after `heading` in a README. */
function shown(readme: string, heading: string): string | undefined {
	const at = readme.indexOf(heading)
	return at === -1 ? undefined : /```ts\n([\s\S]*?)```/.exec(readme.slice(at))?.[1]
}

describe('logging in with a key, on Express', () => {
	it('is what the Express README shows, word for word', () => {
		expect(shown(read('../../../packages/express/README.md'), '## Logging in with a key')).toBe(
			read('../src/sessions.ts'),
		)
	})

	it('logs in with a form, then answers with the cookie alone, and takes changes from this origin only', async () => {
		const keyward = createKeyward()
		const { key } = await keyward.createKey({ owner: 'acme' })
		const app = createSessionApp(keyward)
		const login = await request(app).post('/login').type('form').send({ api_key: key, username: 'acme' })
		expect(login.status).toBe(200)
		const cookie = String(login.headers['set-cookie']).split(';')[0] as string
		expect(cookie).toMatch(/^kw_session=kws_\w{38}$/)
		await request(app).get('/app').set('Cookie', cookie).expect(200, { owner: 'acme' })
		const note = { text: 'hi' }
		await request(app)
			.post('/app/notes')
			.set('Cookie', cookie)
			.send(note)
			.expect(201, { saved: note, by: 'acme' })
		const crossSite = await request(app)
			.post('/app/notes')
			.set({ Cookie: cookie, Origin: 'https://evil.example' })
		expect([crossSite.status, crossSite.body.code]).toEqual([403, 'cross_origin'])
		await request(app).post('/logout').set('Cookie', cookie).expect(200, { ended: true })
		await request(app).get('/app').set('Cookie', cookie).expect(401)
	})

	it('turns a page opened with ?api_key= into a session and a redirect without the key', async () => {
		const keyward = createKeyward()
		const { key } = await keyward.createKey({ owner: 'acme' })
		const app = createSessionApp(keyward)
		const opened = await request(app).get(`/app?api_key=${key}`).set('Accept', 'text/html')
		expect([opened.status, opened.headers.location]).toEqual([303, '/app'])
		const cookie = String(opened.headers['set-cookie']).split(';')[0] as string
		await request(app).get('/app').set('Cookie', cookie).expect(200, { owner: 'acme' })
	})
})

describe('logging in with a key, in core', () => {
	it('is what the core README shows, word for word', () => {
		expect(shown(read('../../../packages/core/README.md'), '## Sessions')).toBe(
			read('../src/login-walkthrough.ts'),
		)
	})

	it('prints what its comments say', () => {
		const script = fileURLToPath(new URL('../dist/login-walkthrough.js', import.meta.url))
		const printed = execFileSync(process.execPath, [script], { encoding: 'utf8' }).trim().split('\n')
		const promised = [
			...read('../src/login-walkthrough.ts').matchAll(/^console\.log\(.*\) \/\/ (.*)$/gm),
		].map((m) => (m[1] as string).replace(/^'(.*)'$/, '$1'))
		expect(printed).toEqual(promised)
	})
})
