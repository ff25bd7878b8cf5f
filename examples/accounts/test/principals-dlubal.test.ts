import { probePostgres, probeRedis, useService } from '@keyward/internal-testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, type Fleet, msUntil, startFleet } from './scenario.js'

const available = useService(await probePostgres()) && useService(await probeRedis())

// Dlubal: the monthly limit belongs to the customer's subscription, shared by one key per project.
for (const batch of [false, true]) {
	describe.skipIf(!available)(
		`principals, as Dlubal needs them (PostgreSQL + Redis${batch ? ' batched' : ''}, two processes)`,
		() => {
			let fleet: Fleet
			beforeAll(async () => {
				fleet = await startFleet(2, batch)
			}, 60_000)
			afterAll(async () => {
				await fleet?.close()
			})

			it('lets exactly the account’s 100 of 150 concurrent requests through three keys and two processes', async () => {
				const { keyward, servers } = fleet
				await keyward.setOwner('dlubal-customer', { monthlyQuota: 100 })
				const projects = await Promise.all(
					['A', 'B', 'C'].map((name) =>
						keyward.createKey({ owner: 'dlubal-customer', name: `project ${name}` }),
					),
				)
				const answers = await Promise.all(
					Array.from({ length: 150 }, (_, i) =>
						call(servers[i % 2] as string, '/api/hello', projects[i % 3]?.key as string),
					),
				)
				expect(answers.filter((a) => a.status === 200)).toHaveLength(100)
				for (const refused of answers.filter((a) => a.status !== 200)) {
					expect(refused).toEqual({
						status: 429,
						body: { detail: 'Monthly request limit of the account exceeded', code: 'owner_quota_exceeded' },
					})
				}
				const perProject = await Promise.all(projects.map(async (p) => (await keyward.usage(p.info.id)).used))
				expect(perProject.reduce((a, b) => a + b, 0)).toBe(100)
				expect(await keyward.ownerUsage('dlubal-customer')).toMatchObject({ used: 100, remaining: 0 })
			})

			it('still holds a key’s own quota below the account’s', async () => {
				const { keyward, servers } = fleet
				await keyward.setOwner('dlubal-small', { monthlyQuota: 100 })
				const { key } = await keyward.createKey({ owner: 'dlubal-small', monthlyQuota: 5 })
				const answers = await Promise.all(
					Array.from({ length: 20 }, (_, i) => call(servers[i % 2] as string, '/api/hello', key)),
				)
				expect(answers.filter((a) => a.status === 200)).toHaveLength(5)
				for (const refused of answers.filter((a) => a.status !== 200)) {
					expect(refused.body).toEqual({ detail: 'Monthly quota exceeded', code: 'quota_exceeded' })
				}
				expect((await keyward.ownerUsage('dlubal-small')).used).toBe(5)
			})

			it('refuses every key of a disabled account on both processes within 1 s, and enabling restores them', async () => {
				const { keyward, servers } = fleet
				await keyward.setOwner('valsight-user', { monthlyQuota: 1000 })
				const keys = await Promise.all([1, 2].map(() => keyward.createKey({ owner: 'valsight-user' })))
				const all = (status: number) => async () => {
					for (const server of servers)
						for (const { key } of keys)
							if ((await call(server, '/api/hello', key)).status !== status) return false
					return true
				}
				expect(await all(200)()).toBe(true)
				const before = (await keyward.ownerUsage('valsight-user')).used
				await keyward.setOwner('valsight-user', { disabled: true })
				expect(await msUntil(all(403))).toBeLessThan(1000)
				expect(await call(servers[1] as string, '/api/hello', keys[0]?.key as string)).toMatchObject({
					body: { code: 'owner_disabled' },
				})
				expect((await keyward.ownerUsage('valsight-user')).used).toBe(before)
				await keyward.setOwner('valsight-user', { disabled: false })
				expect(await msUntil(all(200))).toBeLessThan(1000)
			})
		},
	)
}
