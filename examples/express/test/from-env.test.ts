import { pgUrl, probePostgres, probeRedis, redisUrl, uniqueName, useService } from '@keyward/internal-testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keywardFromEnv } from '../src/from-env.js'

const postgres = useService(await probePostgres())
const redis = useService(await probeRedis())

describe.skipIf(!postgres || !redis)('keywardFromEnv with services', () => {
	// The tables go to a schema of their own (through the URL's search_path), never meeting the
	// `public` tables of other runs on the same server.
	const schema = uniqueName('kw_env')
	const url = new URL(pgUrl)
	url.searchParams.set('options', `-c search_path=${schema}`)
	const admin = async (sql: string) => {
		const client = new pg.Client({ connectionString: pgUrl })
		await client.connect()
		await client.query(sql)
		await client.end()
	}
	beforeAll(() => admin(`CREATE SCHEMA "${schema}"`))
	afterAll(() => admin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`))

	it('uses PostgreSQL and Redis when their URLs are set', async () => {
		const env = { KEYWARD_PG_URL: url.toString(), KEYWARD_REDIS_URL: redisUrl }
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
