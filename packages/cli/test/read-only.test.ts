import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pgUrl, probePostgres, uniqueName, useService } from '@keyward/internal-testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBinary } from './scenario.js'

// Commands that only read must never create what they were asked to read: a typo in --schema,
// --table-prefix or --data-dir would otherwise leave a new schema, tables or directory behind.
const READERS = [
	['list'],
	['show', 'abcd1234'],
	['usage', 'abcd1234'],
	['audit'],
	['owner', 'show', 'acme'],
	['owner', 'list'],
]

describe('read-only commands on an embedded database that is not there', () => {
	const root = mkdtempSync(join(tmpdir(), 'keyward-cli-ro-'))
	afterAll(() => rmSync(root, { recursive: true, force: true }))

	it('exit 1 with a clear message and create no directory, parents included', async () => {
		const dataDir = join(root, 'missing', 'db')
		for (const argv of READERS) {
			const run = await runBinary(['--data-dir', dataDir, ...argv])
			expect([argv, run.code, run.stdout]).toEqual([argv, 1, ''])
			expect(run.stderr).toBe(
				`keyward: no keyward database in ${dataDir}: a command that changes keys (such as keyward create) creates one, or --data-dir (KEYWARD_DATA_DIR) names an existing one\n`,
			)
		}
		expect(existsSync(join(root, 'missing'))).toBe(false)
	}, 60_000)

	it('leave an empty directory empty', async () => {
		const dataDir = join(root, 'empty')
		mkdirSync(dataDir)
		const run = await runBinary(['list'], { KEYWARD_DATA_DIR: dataDir })
		expect(run.code).toBe(1)
		expect(run.stderr).toMatch(/^keyward: no keyward database in /)
		expect(readdirSync(dataDir)).toEqual([])
	}, 30_000)
})

const available = useService(await probePostgres())

describe.skipIf(!available)('read-only commands on PostgreSQL without the tables', () => {
	const schema = uniqueName('kw_ro')
	const prefix = `${uniqueName('ro')}_`
	let client: pg.Client
	beforeAll(async () => {
		client = new pg.Client({ connectionString: pgUrl })
		await client.connect()
	})
	afterAll(async () => {
		await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
		await client.end()
	})

	const schemaExists = async () =>
		(await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount
	const tablesWithPrefix = async () =>
		(await client.query(`SELECT relname FROM pg_class WHERE relname LIKE $1`, [`${prefix}%`])).rows

	it('never create a schema (--schema), and exit 1 naming the tables they looked for', async () => {
		for (const argv of READERS) {
			const run = await runBinary(['--database-url', pgUrl, '--schema', schema, ...argv])
			expect([argv, run.code, run.stdout]).toEqual([argv, 1, ''])
			expect(run.stderr).toMatch(
				new RegExp(
					`^keyward: no keyward tables \\(${schema}\\.keyward_\\*\\) in the database at .*--schema and --table-prefix name other ones\\n$`,
				),
			)
		}
		expect(await schemaExists()).toBe(0)
	}, 60_000)

	it('never create tables (--table-prefix) in an existing schema', async () => {
		for (const argv of READERS) {
			const run = await runBinary(['--database-url', pgUrl, '--table-prefix', prefix, ...argv])
			expect([argv, run.code]).toEqual([argv, 1])
			expect(run.stderr).toMatch(/^keyward: no keyward tables \(/)
		}
		expect(await tablesWithPrefix()).toEqual([])
	}, 60_000)

	it('work once a command that changes keys has created the tables', async () => {
		const created = await runBinary([
			'--database-url',
			pgUrl,
			'--schema',
			schema,
			'create',
			'--owner',
			'acme',
		])
		expect(created.code).toBe(0)
		const listed = await runBinary(['--database-url', pgUrl, '--schema', schema, 'list', '--json'])
		expect(listed.code).toBe(0)
		expect(JSON.parse(listed.stdout)).toHaveLength(1)
	}, 60_000)
})
