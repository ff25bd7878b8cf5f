import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createKeyward, type KeywardOptions, keyPattern } from '@keyward/core'
import { sampleRecord } from '@keyward/core/testing'
import { createApp } from '@keyward/example-express/app'
import type { PostgresStore } from '@keyward/postgres'
import { expect, it } from 'vitest'

/** The built binary, as `npx keyward` runs it. */
export const binary = fileURLToPath(new URL('../dist/bin.js', import.meta.url))

/** One run of the binary. */
export interface Run {
	code: number
	stdout: string
	stderr: string
}

/** A database the binary and the test process take turns on. */
export interface Target {
	/** Flags that point the binary at the database. */
	args: readonly string[]
	/** Open the same database in this process (the binary must not be running). */
	openStore(): Promise<PostgresStore>
}

/** Run the binary with `args`; the database flags come first, as a user would type them. */
export function runBinary(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
	return new Promise((resolve) => {
		const clean: NodeJS.ProcessEnv = { ...process.env, KEYWARD_ACTOR: 'test-operator', ...env }
		for (const name of ['KEYWARD_DATABASE_URL', 'KEYWARD_DATA_DIR', 'KEYWARD_PEPPER']) {
			if (env[name] === undefined) delete clean[name]
		}
		execFile(
			process.execPath,
			[binary, ...args],
			{ env: clean, timeout: 60_000 },
			(error, stdout, stderr) => {
				const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
				resolve({ code, stdout, stderr })
			},
		)
	})
}

/** Run the binary against `target`; fail with its output when the exit status is not `expected`. */
export async function cli(target: Target, args: readonly string[], expected = 0): Promise<Run> {
	const run = await runBinary([...target.args, ...args])
	expect(run.code, `keyward ${args.join(' ')}\n${run.stdout}${run.stderr}`).toBe(expected)
	return run
}

/**
 * Serve the Express example over the target's database (with the keyward `options` the
 * application would have), call `GET /api/hello` with `key`, close.
 */
export async function hello(
	target: Target,
	key: string,
	options: KeywardOptions = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
	const keyward = createKeyward({ ...options, store: await target.openStore() })
	const server = createApp(keyward).listen(0, '127.0.0.1')
	try {
		await new Promise((resolve) => server.once('listening', resolve))
		const { port } = server.address() as AddressInfo
		const res = await fetch(`http://127.0.0.1:${port}/api/hello`, {
			headers: { authorization: `Apikey ${key}` },
		})
		return { status: res.status, body: (await res.json()) as Record<string, unknown> }
	} finally {
		server.closeAllConnections()
		await new Promise((resolve) => server.close(resolve))
		await keyward.close()
	}
}

const OPEN_TIMEOUT = 60_000

/**
 * The end-to-end story and its bad-input companion, against one database. The steps share
 * the database, so they run in order.
 */
export function cliScenario(target: Target): void {
	let key = ''
	let id = ''

	it(
		'create -> list -> authenticate -> revoke by prefix -> 401 -> delete -> gone',
		async () => {
			const created = await cli(target, [
				'create',
				'--owner',
				'acme',
				'--name',
				'CI deploy',
				'--scope',
				'reports:read',
				'--expires-in',
				'30d',
				'--quota',
				'100',
				'--metadata',
				'{"team":"data"}',
			])
			const keys = `${created.stdout}${created.stderr}`.match(keyPattern('kw', 'g')) ?? []
			expect(keys).toHaveLength(1)
			key = keys[0] as string
			expect(created.stdout.split('\n')).toContain(key)
			id = created.stdout.match(/Created key ([0-9A-Za-z]{12}) for acme; it expires /)?.[1] as string
			expect(id).toBeTruthy()

			const listed = await cli(target, ['list'])
			expect(listed.stdout).toMatch(
				new RegExp(`${id} +${key.slice(0, 7)}… +acme +CI deploy +reports:read +in 30d +never +0/100 +active`),
			)
			expect(listed.stdout).not.toContain(key)

			const ok = await hello(target, key)
			expect(ok).toEqual({
				status: 200,
				body: { message: 'Hello, acme!', keyId: id, scopes: ['reports:read'] },
			})
			expect((await cli(target, ['usage', id])).stdout).toMatch(/used 1 of 100 requests \(99 left\)/)
			// The application wrote its usage history when it closed; the command reads it back.
			const chart = (await cli(target, ['usage', id, '--days', '2'])).stdout.split('\n')
			// Yesterday and today (UTC): the request is on one of them, whenever the test runs.
			const bars = chart
				.slice(3, 5)
				.map((line) => line.replace(/^\d{4}-\d\d-\d\d {2}/, '').replace(/ +/g, ' '))
			expect(bars.sort()).toEqual([' 0', '# 1'])
			expect(chart[5]).toBe('Total 1 request: 1 ok, 0 refused.')
			const shown = await cli(target, ['show', id.slice(0, 5)])
			expect(shown.stdout).toMatch(/Last used +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(\d+[sm] ago\)/)
			expect(shown.stdout).toContain('Metadata    {"team":"data"}')

			const revoked = await cli(target, ['revoke', id.slice(0, 6)])
			expect(revoked.stdout).toBe(`Revoked key ${id} of acme.\n`)
			expect(await hello(target, key)).toEqual({
				status: 401,
				body: { detail: 'API key has been revoked', code: 'revoked' },
			})
			expect((await cli(target, ['list'])).stdout).not.toContain(id)
			expect((await cli(target, ['list', '--all'])).stdout).toMatch(new RegExp(`${id} .* revoked`))

			expect((await cli(target, ['delete', id])).stdout).toBe(`Deleted key ${id} of acme.\n`)
			const all = JSON.parse((await cli(target, ['list', '--all', '--json'])).stdout) as { id: string }[]
			expect(all.map((k) => k.id)).not.toContain(id)

			const audit = JSON.parse((await cli(target, ['audit', '--key', id, '--json'])).stdout)
			expect(audit.map((e: { action: string; actor: string }) => [e.action, e.actor])).toEqual([
				['key.deleted', 'test-operator'],
				['key.revoked', 'test-operator'],
				['key.created', 'test-operator'],
			])
			expect(JSON.stringify(audit)).not.toContain(key)
		},
		OPEN_TIMEOUT * 2,
	)

	it(
		'rotates with a grace period and revokes all keys of an owner',
		async () => {
			const first = await cli(target, ['create', '--owner', 'globex', '--json'])
			const old = JSON.parse(first.stdout) as { key: string; info: { id: string } }
			const rotated = await cli(target, ['rotate', old.info.id, '--grace', '1h'])
			const fresh = rotated.stdout.match(keyPattern())?.[0] as string
			expect(rotated.stdout).toMatch(
				new RegExp(`the old key ${old.info.id} keeps working until .* \\(1h grace\\)`),
			)
			expect((await hello(target, old.key)).status).toBe(200)
			expect((await hello(target, fresh)).status).toBe(200)
			expect((await cli(target, ['revoke-all', '--owner', 'globex'])).stdout).toBe(
				'Revoked 2 keys of globex.\n',
			)
			expect((await hello(target, fresh)).status).toBe(401)
			const audit = await cli(target, ['audit', '--owner', 'globex'])
			expect(audit.stdout).toMatch(/rotated +\w{12} \(from \w{12}\) +globex +test-operator +cli@/)
		},
		OPEN_TIMEOUT,
	)

	it(
		'refuses bad input with a clear message and a non-zero exit, changing nothing',
		async () => {
			// Two keys whose ids share a prefix, to make a prefix ambiguous.
			const store = await target.openStore()
			try {
				await store.create(sampleRecord({ id: 'AmbgXq000001', owner: 'acme' }))
				await store.create(sampleRecord({ id: 'AmbgXq000002', owner: 'acme' }))
			} finally {
				await store.close()
			}
			const snapshot = async () =>
				[
					(await cli(target, ['list', '--all', '--json'])).stdout,
					(await cli(target, ['audit', '--json', '--limit', '1000'])).stdout,
				].join('\n')
			const before = await snapshot()
			const bad: [string[], number, RegExp][] = [
				[['create', '--owner', 'acme', '--bogus'], 2, /^keyward: unknown option '--bogus'\n/],
				[
					['create', '--owner', 'acme', '--expires-in', '10x'],
					2,
					/^keyward: invalid --expires-in <duration>: /,
				],
				[['create', '--owner', 'acme', '--metadata', '{"team":'], 2, /^keyward: invalid --metadata <json>: /],
				[['create', '--owner', 'acme', '--name', 'n'.repeat(300)], 1, /^keyward: name must be at most 256/],
				[['revoke', 'zzzzzzzzzzzz'], 1, /^keyward: no key has the id, id prefix or hint "zzzzzzzzzzzz"\n$/],
				[
					['delete', 'AmbgXq'],
					1,
					/^keyward: more than one key matches "AmbgXq" \(as an id prefix or a hint\): give the whole id\n$/,
				],
				[['rotate', 'Ambg'], 1, /^keyward: more than one key matches "Ambg"/],
				[['revoke', 'kw_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'], 1, /^keyward: no such key\n$/],
			]
			for (const [args, code, message] of bad) {
				const run = await cli(target, args, code)
				expect(run.stdout).toBe('')
				expect(run.stderr).toMatch(message)
				if (code === 1) expect(run.stderr.split('\n')).toHaveLength(2)
			}
			expect(await snapshot()).toBe(before)
		},
		OPEN_TIMEOUT * 2,
	)

	it(
		'scan finds the keys create printed, live and test, and --check says which are live',
		async () => {
			const created = async (environment: string) => {
				const run = await cli(target, ['--environment', environment, 'create', '--owner', 'acme', '--json'])
				return JSON.parse(run.stdout) as { key: string; info: { id: string } }
			}
			const [live, test] = [await created('live'), await created('test')]
			const dir = mkdtempSync(join(tmpdir(), 'keyward-scan-'))
			try {
				writeFileSync(join(dir, 'app.json'), `{"apiKey":"${live.key}"}\n`)
				// A key with its last character changed: never the same key, whatever that character was.
				const broken = `${live.key.slice(0, -1)}${live.key.endsWith('x') ? 'y' : 'x'}`
				writeFileSync(join(dir, '.env'), `# keys\nAPI_KEY=${test.key}\nOTHER=${broken}\n`)
				const found = await cli(target, ['scan', dir], 1)
				const redacted = (key: string) => `${key.slice(0, key.length - 32)}…(redacted)`
				expect(found.stdout).toBe(
					`${join(dir, '.env')}:2:9: ${redacted(test.key)}\n${join(dir, 'app.json')}:1:12: ${redacted(live.key)}\n`,
				)
				expect(found.stderr).toBe(
					'keyward: found 2 keys in 2 files: treat them as leaked, revoke and remove them\n',
				)
				await cli(target, ['revoke', test.info.id])
				const checked = await cli(target, ['scan', '--check', dir], 1)
				expect(checked.stdout).toContain(`${redacted(test.key)} revoked: key ${test.info.id} of acme\n`)
				expect(checked.stdout).toContain(`${redacted(live.key)} live: key ${live.info.id} of acme\n`)
				for (const run of [found, checked]) {
					expect(`${run.stdout}${run.stderr}`).not.toContain(live.key.slice(-30))
					expect(`${run.stdout}${run.stderr}`).not.toContain(test.key.slice(-30))
				}
				rmSync(join(dir, 'app.json'))
				writeFileSync(join(dir, '.env'), 'API_KEY=\n')
				expect(await cli(target, ['scan', dir])).toMatchObject({ stdout: '', stderr: '' })
			} finally {
				rmSync(dir, { recursive: true, force: true })
			}
		},
		OPEN_TIMEOUT,
	)
}
