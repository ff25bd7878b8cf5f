import { createKeyward } from '@keyward/core'
import {
	runKeyStoreConformance,
	runUsageCounterConformance,
	runUsageHistoryConformance,
	sampleRecord,
} from '@keyward/core/testing'
import { pgUrl, probePostgres, startNodeProcess, uniqueName, useService } from '@keyward/internal-testing'
import { openPostgresStore, PostgresStore, SCHEMA_VERSION } from '@keyward/postgres'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifierScript } from './fixtures/paths.js'

const available = useService(await probePostgres())

describe.skipIf(!available)('PostgresStore on PostgreSQL', () => {
	// One schema for this file; every store gets its own table prefix inside it.
	const schema = uniqueName('kw_pg')
	let pool: pg.Pool
	let serial = 0
	const freshStore = async (options: { tablePrefix?: string } = {}) => {
		const store = new PostgresStore({ client: pool, schema, tablePrefix: `t${++serial}_`, ...options })
		await store.migrate()
		return store
	}
	/** A store over tables of its own, and their prefix. */
	const ownTables = async () => {
		const tablePrefix = `t${++serial}_`
		return { tablePrefix, store: await freshStore({ tablePrefix }) }
	}
	/** A store over the tables of `tablePrefix` that explains each statement `explained` picks into `plans`, then runs it. */
	const explainingStore = (tablePrefix: string, plans: string[], explained: (text: string) => boolean) =>
		new PostgresStore({
			schema,
			tablePrefix,
			client: {
				async query(text: string, params?: unknown[]) {
					if (explained(text)) {
						const { rows } = await pool.query(`EXPLAIN ${text}`, params)
						plans.push(rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n'))
					}
					return pool.query(text, params)
				},
			},
		})

	beforeAll(() => {
		pool = new pg.Pool({ connectionString: pgUrl, max: 8 })
	})
	afterAll(async () => {
		await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
		await pool.end()
	})

	runKeyStoreConformance(freshStore)
	runUsageCounterConformance(freshStore)
	runUsageHistoryConformance(freshStore)

	describe('schema', () => {
		it('migrate() is idempotent, records its version and is safe to run concurrently', async () => {
			const stores = Array.from(
				{ length: 4 },
				() => new PostgresStore({ client: pool, schema, tablePrefix: 'race_' }),
			)
			expect(await stores[0]?.schemaVersion()).toBe(0)
			await Promise.all(stores.map((s) => s.migrate()))
			for (const s of stores) await s.migrate()
			expect(await stores[0]?.schemaVersion()).toBe(SCHEMA_VERSION)
			const { rows } = await pool.query(`SELECT version FROM "${schema}".race_migrations`)
			expect(rows).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => ({ version: i + 1 })))
		})

		it('creates its schema when missing and refuses a database migrated by a newer release', async () => {
			const own = uniqueName('kw_pg_new')
			try {
				const store = new PostgresStore({ client: pool, schema: own })
				await store.migrate()
				expect(store.tables.keys).toBe(`"${own}"."keyward_keys"`)
				await pool.query(`INSERT INTO "${own}".keyward_migrations (version) VALUES (${SCHEMA_VERSION + 1})`)
				await expect(store.migrate()).rejects.toThrow(new RegExp(`schema version ${SCHEMA_VERSION + 1}`))
			} finally {
				await pool.query(`DROP SCHEMA IF EXISTS "${own}" CASCADE`)
			}
		})

		it('looks keys up by hash through a unique index', async () => {
			const store = await freshStore()
			const client = new pg.Client({ connectionString: pgUrl })
			await client.connect()
			try {
				await client.query('SET enable_seqscan = off')
				const { rows } = await client.query(`EXPLAIN SELECT * FROM ${store.tables.keys} WHERE hash = $1`, [
					'x',
				])
				expect(rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n')).toMatch(
					/Index Scan using "?t\d+_keys_hash_key"?/,
				)
			} finally {
				await client.end()
			}
		})

		it('resolves an id prefix through an index, without reading every key', async () => {
			const { tablePrefix, store } = await ownTables()
			await pool.query(
				`INSERT INTO ${store.tables.keys} (id, hash, owner, scopes, created_at, metadata, family_id)
				SELECT 'g' || lpad(i::text, 11, '0'), md5(i::text) || md5((-i)::text), 'bulk', '{}', now(), '{}',
					'g' || lpad(i::text, 11, '0')
				FROM generate_series(1, 5000) AS i`,
			)
			await pool.query(`ANALYZE ${store.tables.keys}`)
			const plans: string[] = []
			const explaining = explainingStore(tablePrefix, plans, (text) => text.includes('starts_with'))
			const record = sampleRecord({ id: 'zPrefix00001' })
			await store.create(record)
			const keyward = createKeyward({ store: explaining, lastUsed: false })
			expect((await keyward.revokeKey('zPrefix0')).id).toBe(record.id)
			expect(plans).toHaveLength(1)
			expect(plans[0]).toMatch(/Index (Only )?Scan|Bitmap Index Scan/)
			expect(plans[0]).not.toMatch(/Seq Scan/)
			expect(await explaining.findByIdPrefix('g0000000001', 20)).toHaveLength(10)
		})

		it('adds the usage history table to a database at version 5, keeping keys and counts', async () => {
			const { tablePrefix, store } = await ownTables()
			const record = sampleRecord()
			await store.create(record)
			await store.consume(record.id, '2026-11', 3, 10)
			// Back to version 5: the history table was added by step 6.
			await pool.query(`DROP TABLE ${store.tables.usageHistory}`)
			await pool.query(`DELETE FROM "${schema}"."${tablePrefix}migrations" WHERE version = 6`)
			expect(await store.schemaVersion()).toBe(5)
			await store.migrate()
			expect(await store.schemaVersion()).toBe(SCHEMA_VERSION)
			expect(await store.findById(record.id)).toEqual(record)
			expect(await store.consume(record.id, '2026-11', 0, 10)).toEqual({ allowed: true, used: 3 })
			const bucket = new Date(Date.UTC(2026, 10, 15, 9))
			await store.recordUsage([{ bucket, keyId: record.id, owner: record.owner, outcome: 'ok', count: 2 }])
			expect(
				await store.readUsage({ keyId: record.id, from: bucket, to: new Date(bucket.getTime() + 1) }),
			).toEqual([{ bucket, keyId: record.id, owner: record.owner, outcome: 'ok', count: 2 }])
		})

		it('reads a key and an owner history through indexes', async () => {
			const { tablePrefix, store } = await ownTables()
			await pool.query(
				`INSERT INTO ${store.tables.usageHistory} (bucket, key_id, owner, outcome, count)
				SELECT timestamptz '2026-01-01' + (i % 2000) * interval '1 hour', 'k' || (i / 2000), 'o' || (i / 20000), 'ok', 1
				FROM generate_series(1, 100000) AS i`,
			)
			await pool.query(`ANALYZE ${store.tables.usageHistory}`)
			const plans: string[] = []
			const explaining = explainingStore(tablePrefix, plans, () => true)
			const range = { from: new Date('2026-01-10T00:00:00Z'), to: new Date('2026-02-10T00:00:00Z') }
			expect(await explaining.readUsage({ keyId: 'k3', ...range })).toHaveLength(744)
			expect((await explaining.readUsage({ owner: 'o2', ...range })).length).toBeGreaterThan(0)
			expect(plans).toHaveLength(2)
			for (const plan of plans) {
				expect(plan).toMatch(/Index (Only )?Scan|Bitmap Index Scan/)
				expect(plan).not.toMatch(/Seq Scan/)
			}
		})

		it('keeps stores with different prefixes apart', async () => {
			const a = await freshStore()
			const b = await freshStore()
			const record = sampleRecord()
			await a.create(record)
			await b.consume(record.id, '2026-08', 2, 5)
			expect(await b.findById(record.id)).toBeNull()
			expect(await a.consume(record.id, '2026-08', 0, 5)).toEqual({ allowed: true, used: 0 })
		})

		it('rejects table names that could not be spliced into SQL safely', () => {
			expect(() => new PostgresStore({ client: pool, schema: 'bad"name' })).toThrow(TypeError)
			expect(() => new PostgresStore({ client: pool, tablePrefix: 'x; drop' })).toThrow(TypeError)
			expect(() => new PostgresStore({ client: {} as pg.Pool })).toThrow(TypeError)
		})
	})

	describe('openPostgresStore', () => {
		it('opens a pool from a URL, migrates, and ends the pool on close', async () => {
			const store = await openPostgresStore({ url: pgUrl, schema, tablePrefix: 'opened_' })
			const record = sampleRecord()
			await store.create(record)
			expect(await store.findByHash(record.hash)).toEqual(record)
			await store.close()
			await expect(store.findById(record.id)).rejects.toThrow()
		})

		it('rejects at once when the server cannot be reached', async () => {
			const started = Date.now()
			await expect(
				openPostgresStore({ url: 'postgres://postgres@127.0.0.1:1/test', connectTimeoutMs: 2000 }),
			).rejects.toThrow()
			expect(Date.now() - started).toBeLessThan(5000)
			await expect(openPostgresStore({ url: 'mysql://localhost/x' })).rejects.toThrow(TypeError)
		})

		it('keeps a key created through it across a process restart', async () => {
			const store = await openPostgresStore({ url: pgUrl, schema, tablePrefix: 'restart_' })
			const keyward = createKeyward({ store })
			const { key, info } = await keyward.createKey({ owner: 'acme', monthlyQuota: 5 })
			expect((await keyward.verifyKey(key)).ok).toBe(true)
			await keyward.close()
			const child = startNodeProcess(verifierScript, {
				KEYWARD_TEST_PG_URL: pgUrl,
				KEYWARD_PG_SCHEMA: schema,
				KEYWARD_PG_TABLE_PREFIX: 'restart_',
				KEYWARD_TEST_KEY: key,
			})
			const [, json] = await child.waitForLine(/^result (.*)$/)
			expect(JSON.parse(json as string)).toEqual({ status: 200, id: info.id, remaining: 3 })
			expect(await child.exited()).toBe(0)
		})
	})
})
