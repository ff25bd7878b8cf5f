import { createKeyward } from '@keyward/core'
import { runKeyStoreConformance, runUsageCounterConformance } from '@keyward/core/testing'
import {
	pgBouncerUrl,
	pgUrl,
	probePgBouncer,
	probePostgres,
	uniqueName,
	useService,
} from '@keyward/internal-testing'
import { openPostgresStore, PostgresStore, SCHEMA_VERSION } from '@keyward/postgres'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// PgBouncer in transaction pooling lends a server connection for one transaction at a time: a
// store that relied on session state (a search_path, a session advisory lock, a named prepared
// statement, LISTEN) would break here, or worse, act on another client's session.
const available = useService(await probePostgres()) && useService(await probePgBouncer())

describe.skipIf(!available)('PostgresStore through PgBouncer (transaction pooling)', () => {
	const schema = uniqueName('kw_bouncer')
	let pool: pg.Pool
	let direct: pg.Pool
	let serial = 0
	const freshStore = async () => {
		const store = new PostgresStore({ client: pool, schema, tablePrefix: `t${++serial}_` })
		await store.migrate()
		return store
	}

	beforeAll(() => {
		pool = new pg.Pool({ connectionString: pgBouncerUrl, max: 8 })
		direct = new pg.Pool({ connectionString: pgUrl, max: 2 })
	})
	afterAll(async () => {
		await direct.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
		await Promise.all([pool.end(), direct.end()])
	})

	it('runs against a pooler in transaction mode', async () => {
		const admin = new pg.Client({ connectionString: pgBouncerUrl.replace(/\/[^/?]*(\?|$)/, '/pgbouncer$1') })
		await admin.connect()
		try {
			const { rows } = await admin.query('SHOW CONFIG')
			const mode = rows.find((row: { key: string }) => row.key === 'pool_mode') as { value: string }
			expect(mode.value).toBe('transaction')
		} finally {
			await admin.end()
		}
	})

	runKeyStoreConformance(freshStore)
	runUsageCounterConformance(freshStore)

	it('migrates concurrently from many clients, each statement on whichever server connection is free', async () => {
		const stores = Array.from(
			{ length: 6 },
			() => new PostgresStore({ client: pool, schema, tablePrefix: 'race_' }),
		)
		await Promise.all(stores.map((store) => store.migrate()))
		expect(await stores[0]?.schemaVersion()).toBe(SCHEMA_VERSION)
		const { rows } = await direct.query(`SELECT count(*)::int AS n FROM "${schema}".race_migrations`)
		expect(rows[0]).toEqual({ n: SCHEMA_VERSION })
	})

	it('holds a per-owner key limit under concurrent creation (the lock lives only as long as its transaction)', async () => {
		const store = await openPostgresStore({
			url: pgBouncerUrl,
			schema,
			tablePrefix: `t${++serial}_`,
			poolSize: 6,
		})
		const keyward = createKeyward({ store })
		try {
			const results = await Promise.allSettled(
				Array.from({ length: 12 }, () => keyward.createKey({ owner: 'bounced' }, { maxActiveKeys: 3 })),
			)
			expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3)
			expect(await keyward.listKeys({ owner: 'bounced' })).toHaveLength(3)
		} finally {
			await keyward.close()
		}
	})

	it('verifies, counts, revokes and rotates through openPostgresStore on the pooler', async () => {
		const store = await openPostgresStore({ url: pgBouncerUrl, schema, tablePrefix: `t${++serial}_` })
		const keyward = createKeyward({ store })
		try {
			const { key, info } = await keyward.createKey({ owner: 'pooled', monthlyQuota: 5 })
			const answers = await Promise.all(Array.from({ length: 8 }, () => keyward.verifyKey(key)))
			expect(answers.filter((a) => a.ok)).toHaveLength(5)
			const rotated = await keyward.rotateKey(info.id)
			expect((await keyward.verifyKey(rotated.key)).ok).toBe(false) // the family's quota is spent
			await keyward.revokeKey(rotated.info.id)
			expect(await keyward.verifyKey(rotated.key)).toMatchObject({ ok: false, code: 'revoked' })
		} finally {
			await keyward.close()
		}
	})
})
