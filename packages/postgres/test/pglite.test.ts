import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { createKeyward } from '@keyward/core'
import { runKeyStoreConformance, runUsageCounterConformance, sampleRecord } from '@keyward/core/testing'
import { startNodeProcess } from '@keyward/internal-testing'
import { openPostgresStore, PostgresStore, SCHEMA_VERSION } from '@keyward/postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifierScript } from './fixtures/paths.js'

// Creating a PGlite database takes seconds, so each describe opens one and gives every test
// fresh tables under a new prefix instead.
const OPEN_TIMEOUT = 30_000
const dataDir = mkdtempSync(join(tmpdir(), 'keyward-pglite-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

function suites(open: () => Promise<PGlite>) {
	let db: PGlite
	let serial = 0
	const freshStore = async () => {
		const store = new PostgresStore({ client: db, tablePrefix: `t${++serial}_` })
		await store.migrate()
		return store
	}
	beforeAll(async () => {
		db = await open()
	}, OPEN_TIMEOUT)
	afterAll(async () => {
		await db.close()
	})
	runKeyStoreConformance(freshStore)
	runUsageCounterConformance(freshStore)
	it('migrates in a schema of its own, idempotently', async () => {
		const store = new PostgresStore({ client: db, schema: 'keyward', tablePrefix: '' })
		await store.migrate()
		await store.migrate()
		expect(store.tables.keys).toBe('"keyward"."keys"')
		expect(await store.schemaVersion()).toBe(SCHEMA_VERSION)
		const record = sampleRecord()
		await store.create(record)
		expect(await store.findByHash(record.hash)).toEqual(record)
	})
}

describe('PostgresStore on PGlite in memory', () => {
	suites(async () => {
		const db = new PGlite()
		await db.waitReady
		return db
	})
})

describe('PostgresStore on PGlite on disk', () => {
	suites(async () => {
		const db = new PGlite(join(dataDir, 'shared'))
		await db.waitReady
		return db
	})
})

describe('openPostgresStore on PGlite', () => {
	it(
		'keeps a key created on disk across a process restart',
		async () => {
			const dir = join(dataDir, 'shared') // created by the suite above, so it opens fast
			const store = await openPostgresStore({ dataDir: dir, tablePrefix: 'restart_' })
			const keyward = createKeyward({ store })
			const { key, info } = await keyward.createKey({ owner: 'acme', name: 'survivor', monthlyQuota: 10 })
			expect((await keyward.verifyKey(key)).ok).toBe(true)
			await keyward.close()
			const child = startNodeProcess(verifierScript, {
				KEYWARD_PG_DATA_DIR: dir,
				KEYWARD_PG_TABLE_PREFIX: 'restart_',
				KEYWARD_TEST_KEY: key,
			})
			const [, json] = await child.waitForLine(/^result (.*)$/, OPEN_TIMEOUT)
			expect(JSON.parse(json as string)).toEqual({ status: 200, id: info.id, remaining: 8 })
			expect(await child.exited()).toBe(0)
			// And once more in this process, after the child closed the database.
			const reopened = await openPostgresStore({ dataDir: dir, tablePrefix: 'restart_' })
			expect((await reopened.findById(info.id))?.name).toBe('survivor')
			await reopened.close()
		},
		OPEN_TIMEOUT,
	)
})
