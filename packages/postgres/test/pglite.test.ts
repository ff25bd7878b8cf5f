import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { createKeyward } from '@keyward/core'
import {
	runKeyStoreConformance,
	runUsageCounterConformance,
	runUsageHistoryConformance,
	sampleRecord,
} from '@keyward/core/testing'
import { startNodeProcess } from '@keyward/internal-testing'
import { openPostgresStore, PostgresStore, SCHEMA_VERSION } from '@keyward/postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { umaskZeroScript, verifierScript } from './fixtures/paths.js'

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
	runUsageHistoryConformance(freshStore)
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

/** Permission bits of `path`. */
function modeOf(path: string): number {
	return lstatSync(path).mode & 0o7777
}

/** Entries under `dir` (files and directories) with any group or other permission bit. */
function openEntries(dir: string): string[] {
	const found: string[] = []
	for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
		const mode = modeOf(join(dir, entry))
		if ((mode & 0o077) !== 0) found.push(`${entry} ${mode.toString(8)}`)
	}
	return found
}

describe.skipIf(process.platform === 'win32')('openPostgresStore on PGlite: file permissions', () => {
	const parent = join(dataDir, 'permissions')
	const dir = join(parent, 'db')

	it(
		'creates the data directory 0700 and no file in it readable by others, even with umask 0',
		async () => {
			const child = startNodeProcess(umaskZeroScript, { KEYWARD_PG_DATA_DIR: dir })
			await child.waitForLine(/^result \{"ok":true\}$/, OPEN_TIMEOUT)
			expect(await child.exited()).toBe(0)
			expect(modeOf(dir).toString(8)).toBe('700')
			expect(openEntries(dir)).toEqual([])
			// The missing parent it created: not writable by others, who could otherwise swap the data directory.
			expect(modeOf(parent) & 0o022).toBe(0)
		},
		OPEN_TIMEOUT,
	)

	it(
		'tightens an existing data directory of its own that others can reach',
		async () => {
			// Created by the test above, so it opens fast.
			chmodSync(dir, 0o777)
			chmodSync(join(dir, 'base'), 0o755)
			chmodSync(join(dir, 'PG_VERSION'), 0o666)
			const store = await openPostgresStore({ dataDir: dir, tablePrefix: 'reopened_' })
			expect(modeOf(dir).toString(8)).toBe('700')
			expect(openEntries(dir)).toEqual([])
			await store.close()
			expect(openEntries(dir)).toEqual([])
		},
		OPEN_TIMEOUT,
	)

	it.skipIf(process.getuid?.() !== 0)(
		'refuses a data directory others can reach when it belongs to another user (as root)',
		async () => {
			const foreign = join(parent, 'foreign')
			mkdirSync(foreign, { mode: 0o755 })
			chmodSync(foreign, 0o755)
			chownSync(foreign, 65534, 65534)
			await expect(openPostgresStore({ dataDir: foreign })).rejects.toThrow(/0755.*owned by uid 65534/)
			expect(modeOf(foreign).toString(8)).toBe('755')
			expect(readdirSync(foreign)).toEqual([])
		},
	)
})
