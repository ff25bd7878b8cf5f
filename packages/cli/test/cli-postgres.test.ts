import { pgUrl, probePostgres, uniqueName, useService } from '@keyward/internal-testing'
import { openPostgresStore } from '@keyward/postgres'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { cli, cliScenario, runBinary, type Target } from './scenario.js'

const available = useService(await probePostgres())

describe.skipIf(!available)('keyward on PostgreSQL', () => {
	// A schema of its own, dropped at the end, so parallel runs never meet.
	const schema = uniqueName('kw_cli')
	const target: Target = {
		args: ['--database-url', pgUrl, '--schema', schema],
		openStore: () => openPostgresStore({ url: pgUrl, schema }),
	}
	afterAll(async () => {
		const client = new pg.Client({ connectionString: pgUrl })
		await client.connect()
		await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
		await client.end()
	})

	cliScenario(target)

	it('reads KEYWARD_DATABASE_URL and KEYWARD_DATABASE_SCHEMA', async () => {
		const run = await runBinary(['list', '--all', '--json'], {
			KEYWARD_DATABASE_URL: pgUrl,
			KEYWARD_DATABASE_SCHEMA: schema,
		})
		expect(run.code).toBe(0)
		expect(JSON.parse(run.stdout)).toEqual(
			JSON.parse((await cli(target, ['list', '--all', '--json'])).stdout),
		)
	}, 30_000)

	it('reports a server it cannot reach in one line, without the password', async () => {
		const run = await runBinary(['--database-url', 'postgres://keyward:hunter2@127.0.0.1:1/none', 'list'])
		expect([run.code, run.stdout]).toEqual([1, ''])
		expect(run.stderr).toMatch(
			/^keyward: cannot open the database at postgres:\/\/keyward:\*\*\*@127\.0\.0\.1:1\/none: .+\n$/,
		)
		expect(run.stderr).not.toContain('hunter2')
	}, 30_000)
})
