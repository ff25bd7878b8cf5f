import { createKeyward, MemoryStore } from '@keyward/core'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createApp } from '../src/app.js'

async function setup() {
	const keyward = createKeyward({ store: new MemoryStore() })
	const reader = await keyward.createKey({ owner: 'ada', scopes: ['reports:read'], monthlyQuota: 3 })
	const admin = await keyward.createKey({ owner: 'root', scopes: ['*'] })
	return { app: createApp(keyward), reader: reader.key, admin: admin.key }
}

describe('Express example', () => {
	it('serves the public route without a key', async () => {
		const { app } = await setup()
		await request(app).get('/public').expect(200, { message: 'Anyone can read this.' })
	})

	it('refuses the API without a key, with a JSON detail and a challenge', async () => {
		const { app } = await setup()
		const res = await request(app).get('/api/hello').expect(401)
		expect(res.body).toEqual({ detail: 'Not authenticated', code: 'missing' })
		expect(res.headers['www-authenticate']).toBe('Apikey realm="api"')
	})

	it('greets a valid key, enforces scopes and reports the quota', async () => {
		const { app, reader, admin } = await setup()
		const hello = await request(app).get('/api/hello').set('Authorization', `Apikey ${reader}`).expect(200)
		expect(hello.body.message).toBe('Hello, ada!')
		expect(hello.headers.ratelimit).toMatch(/^"monthly";r=2;t=\d+$/)
		await request(app).get('/api/admin').set('Authorization', `Apikey ${reader}`).expect(403)
		await request(app).get('/api/reports').set('x-api-key', reader).expect(200)
		const over = await request(app).get(`/api/reports?api_key=${reader}`).expect(429)
		expect(over.body).toEqual({ detail: 'Monthly quota exceeded', code: 'quota_exceeded' })
		expect(Number(over.headers['retry-after'])).toBeGreaterThan(0)
		await request(app).get('/api/admin').set('x-api-key', admin).expect(200)
	})
})
