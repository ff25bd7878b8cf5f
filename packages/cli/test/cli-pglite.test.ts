import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openPostgresStore } from '@keyward/postgres'
import { afterAll, describe, expect, it } from 'vitest'
import { cli, cliScenario, runBinary, type Target } from './scenario.js'

// One PGlite database for the whole file: creating one takes seconds, opening it again does not.
const root = mkdtempSync(join(tmpdir(), 'keyward-cli-'))
const dataDir = join(root, 'db')
afterAll(() => rmSync(root, { recursive: true, force: true }))

const target: Target = { args: ['--data-dir', dataDir], openStore: () => openPostgresStore({ dataDir }) }

describe('keyward on PGlite on disk', () => {
	cliScenario(target)

	it('keeps the database directory private, and finds it through KEYWARD_DATA_DIR', async () => {
		// PGlite makes its files world-readable; the directory the command created keeps others out.
		expect(statSync(dataDir).mode & 0o077).toBe(0)
		const run = await runBinary(['list', '--owner', 'acme', '--json'], { KEYWARD_DATA_DIR: dataDir })
		expect(run.code).toBe(0)
		expect(JSON.parse(run.stdout)).toEqual(
			JSON.parse((await cli(target, ['list', '--owner', 'acme', '--json'])).stdout),
		)
	}, 30_000)

	it('refuses a database path it cannot write, creating nothing', async () => {
		const file = join(root, 'a-file')
		writeFileSync(file, 'not a directory')
		const cases: [string, RegExp][] = [
			[join(file, 'db'), /^keyward: cannot create the database directory .*: .*a-file is not a directory\n$/],
			[file, /^keyward: cannot use the database directory .*a-file: it is not a directory\n$/],
			[
				'/sys/keyward-test/db',
				/^keyward: cannot use the database directory \/sys\/keyward-test\/db: \/sys is not writable/,
			],
		]
		for (const [dir, message] of cases) {
			const run = await runBinary(['--data-dir', dir, 'create', '--owner', 'acme'])
			expect([run.code, run.stdout]).toEqual([1, ''])
			expect(run.stderr).toMatch(message)
		}
		expect(existsSync('/sys/keyward-test')).toBe(false)
	}, 30_000)
})
