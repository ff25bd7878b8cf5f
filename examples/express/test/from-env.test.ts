import { pgUrl, probePostgres, probeRedis, redisUrl, useService } from '@keyward/internal-testing'
import { describe, expect, it } from 'vitest'
import { keywardFromEnv } from '../src/from-env.js'

const pg = useService(await probePostgres())
const redis = useService(await probeRedis())

describe.skipIf(!pg || !redis)('keywardFromEnv with services', () => {
	it('uses PostgreSQL and Redis when their URLs are set', async () => {
		const env = { KEYWARD_PG_URL: pgUrl, KEYWARD_REDIS_URL: redisUrl }
		const { keyward, describe: where } = await keywardFromEnv('env-test', env)
		expect(where).toBe('keys in PostgreSQL, quotas in Redis')
		const { key, info } = await keyward.createKey({ owner: 'env-test', monthlyQuota: 2 })
		try {
			expect(await keyward.verifyKey(key)).toMatchObject({ ok: true, quota: { remaining: 1 } })
			expect(await keyward.verifyKey(key)).toMatchObject({ ok: true, quota: { remaining: 0 } })
			expect(await keyward.verifyKey(key)).toMatchObject({ status: 429 })
		} finally {
			await keyward.deleteKey(info.id)
			await keyward.close()
		}
	})
})
