import fc from 'fast-check'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { frameworks } from './apps.js'
import { createFixture } from './support.js'

/** Header-safe text: what an HTTP client can put after `Bearer `. */
const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) })
const segment = fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/)
const jwtLike = fc.tuple(segment, segment, segment).map((parts) => parts.join('.'))

describe.each(frameworks)('%s tokenAuth', (_name, build) => {
	it('answers any bearer string with 401 JSON: never 200, never 500', async () => {
		const f = await createFixture()
		const app = build(f)
		await fc.assert(
			fc.asyncProperty(fc.oneof(printable, jwtLike), async (token) => {
				const res = await request(app).get('/strict').set('Authorization', `Bearer ${token}`)
				expect(res.status).toBe(401)
				expect(res.headers['content-type']).toMatch(/^application\/json/)
				expect(['missing', 'invalid_token']).toContain(res.body.code)
				expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api"/)
			}),
			{ numRuns: 150 },
		)
	})
})
