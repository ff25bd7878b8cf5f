import { probePostgres, probeRedis, useService } from '@keyward/internal-testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, type Fleet, msUntil, startFleet } from './scenario.js'

const available = useService(await probePostgres()) && useService(await probeRedis())

// Tiled: a key created without scopes inherits its user's, and loses a permission with the user.
describe.skipIf(!available)('principals, as Tiled needs them (PostgreSQL + Redis, two processes)', () => {
	let fleet: Fleet
	beforeAll(async () => {
		fleet = await startFleet(1, false)
	}, 60_000)
	afterAll(async () => {
		await fleet?.close()
	})

	it('an inheriting key works for the owner’s scopes and loses one with the owner, here at once and there within 1 s', async () => {
		const { keyward, servers } = fleet
		const other = servers[0] as string
		await keyward.setOwner('tiled-user', { scopes: ['read:data', 'write:notes'] })
		const inheriting = await keyward.createKey({ owner: 'tiled-user', scopes: 'inherit' })
		const explicit = await keyward.createKey({ owner: 'tiled-user', scopes: ['read:data'] })
		expect(await keyward.verifyKey(inheriting.key, { scopes: ['read:data'] })).toMatchObject({ ok: true })
		for (const { key } of [inheriting, explicit]) {
			expect(await call(other, '/api/data', key)).toMatchObject({
				status: 200,
				body: { owner: 'tiled-user' },
			})
		}

		await keyward.setOwner('tiled-user', { scopes: ['write:notes'] })
		// The instance that made the change: the very next request.
		for (const { key } of [inheriting, explicit]) {
			expect(await keyward.verifyKey(key, { scopes: ['read:data'] })).toMatchObject({
				status: 403,
				code: 'insufficient_scope',
			})
		}
		// The other process, through the invalidation channel.
		const refused = async (key: string) => (await call(other, '/api/data', key)).status === 403
		const ms = await msUntil(async () => (await refused(inheriting.key)) && (await refused(explicit.key)))
		expect(ms).toBeLessThan(1000)
		expect(await call(other, '/api/data', explicit.key)).toMatchObject({
			status: 403,
			body: { code: 'insufficient_scope' },
		})
		expect(await call(other, '/api/notes', inheriting.key)).toMatchObject({ status: 200 })
		expect(await call(other, '/api/notes', explicit.key)).toMatchObject({ status: 403 })
	})
})
