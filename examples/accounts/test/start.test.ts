import {
	pgUrl,
	probePostgres,
	probeRedis,
	redisUrl,
	startScript,
	uniqueName,
	useService,
} from '@keyward/internal-testing'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'

const postgres = useService(await probePostgres())
const redis = useService(await probeRedis())

describe.skipIf(!postgres || !redis)('pnpm --filter @keyward/example-accounts start', () => {
	const schema = uniqueName('kw_accounts_start')
	afterAll(async () => {
		const client = new pg.Client({ connectionString: pgUrl })
		await client.connect()
		await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
		await client.end()
	})

	it('serves the API on PORT=0 with PostgreSQL and Redis', async () => {
		const started = startScript('@keyward/example-accounts', {
			PORT: '0',
			KEYWARD_PG_URL: pgUrl,
			KEYWARD_PG_SCHEMA: schema,
			KEYWARD_REDIS_URL: redisUrl,
			KEYWARD_REDIS_PREFIX: `${schema}:`,
		})
		try {
			const [, port] = await started.waitForLine(/listening on (\d+)/)
			const res = await fetch(`http://127.0.0.1:${port}/api/data`)
			expect(res.status).toBe(401)
			expect(await res.json()).toMatchObject({ code: 'missing' })
		} finally {
			await started.stop()
		}
	}, 120_000)
})
