import { PGlite } from '@electric-sql/pglite'
import { sampleRecord } from '@keyward/core/testing'
import { PostgresStore, SCHEMA_VERSION } from '@keyward/postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

describe('key hints in PostgreSQL (PGlite)', () => {
	let db: PGlite
	beforeAll(async () => {
		db = new PGlite()
		await db.waitReady
	}, 30_000)
	afterAll(async () => {
		await db.close()
	})

	it('upgrades tables of version 4: existing keys get a null hint, new ones keep theirs', async () => {
		const store = new PostgresStore({ client: db, tablePrefix: 'up_' })
		await store.migrate()
		const old = sampleRecord({ hint: null })
		await store.create(old)
		// Back to version 4 as an older release left it: no hint column or history table, versions 5
		// and 6 not recorded.
		await db.exec(
			`ALTER TABLE up_keys DROP COLUMN hint; DROP TABLE up_usage_history; DELETE FROM up_migrations WHERE version >= 5;`,
		)
		expect(await store.schemaVersion()).toBe(4)
		await store.migrate()
		expect(await store.schemaVersion()).toBe(SCHEMA_VERSION)
		expect(await store.findById(old.id)).toEqual(old)
		const fresh = sampleRecord({ hint: 'kw_live_Ab3D' })
		await store.create(fresh, { audit: { actor: 'a', source: null }, action: 'key.imported' })
		expect(await store.findByHint('kw_live_Ab3D', 2)).toEqual([fresh])
		expect((await store.listAudit({ keyId: fresh.id })).map((e) => e.action)).toEqual(['key.imported'])
	})

	it('looks hints up through an index', async () => {
		const store = new PostgresStore({ client: db, tablePrefix: 'ix_' })
		await store.migrate()
		for (let i = 0; i < 200; i++) await store.create(sampleRecord({ hint: `kw_${i.toString(36)}` }))
		await db.exec('ANALYZE ix_keys')
		const { rows } = await db.query<{ 'QUERY PLAN': string }>(
			"EXPLAIN SELECT id FROM ix_keys WHERE hint = 'kw_a' LIMIT 2",
		)
		expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index (Only )?Scan using "?ix_keys_hint_idx/)
	})
})
