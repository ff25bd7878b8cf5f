import { pgUrl, probePostgres, uniqueName, useService } from '@keyward/internal-testing'
import { PostgresStore } from '@keyward/postgres'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const available = useService(await probePostgres())

// A consume whose statement began before a concurrent first insert of its counter committed: the
// upsert sees the new row (and refuses), but a plain read in the same statement does not, since
// the row is newer than the statement's snapshot. Through a pooler, where statements queue for a
// server connection, this happened under load; here it is staged with a transaction held open.
describe.skipIf(!available)('PostgresStore.consume racing the first insert of its counter', () => {
	const schema = uniqueName('kw_pg_race')
	let pool: pg.Pool
	let store: PostgresStore

	beforeAll(async () => {
		pool = new pg.Pool({ connectionString: pgUrl, max: 4 })
		store = new PostgresStore({ client: pool, schema })
		await store.migrate()
	})
	afterAll(async () => {
		await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
		await pool.end()
	})

	it('reports the count it was refused at, not 0', async () => {
		const other = await pool.connect()
		try {
			await other.query('BEGIN')
			await other.query(
				`INSERT INTO ${store.tables.usage} (key_id, period, used) VALUES ('raced', '2026-11', 20)`,
			)
			const refused = store.consume('raced', '2026-11', 1, 20)
			// Wait until the consume is blocked on the uncommitted row (its snapshot is taken by then).
			for (;;) {
				const { rows } = await pool.query(
					`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`,
					[`%INSERT INTO ${store.tables.usage} AS u%`],
				)
				if ((rows[0] as { n: number }).n > 0) break
				await new Promise((resolve) => setTimeout(resolve, 10))
			}
			await other.query('COMMIT')
			expect(await refused).toEqual({ allowed: false, used: 20 })
		} finally {
			other.release()
		}
	})
})
