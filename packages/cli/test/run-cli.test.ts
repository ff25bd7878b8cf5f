import { resolve } from 'node:path'
import { createKeyward, keyPattern } from '@keyward/core'
import { generateKey } from '@keyward/core/testing'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { memory, run } from './memory-cli.js'

const COMMANDS = [
	'create',
	'list',
	'show',
	'revoke',
	'revoke-all',
	'delete',
	'rotate',
	'usage',
	'audit',
	'scan',
	'import',
]

describe('runCli', () => {
	it('prints a new key exactly once, alone on its line, and never again', async () => {
		const db = memory()
		const created = await run(['create', '--owner', 'acme', '--scope', 'a:b', '--scope', 'a:b'], db.io())
		expect(created.code).toBe(0)
		const [key, ...more] = created.stdout.match(keyPattern('kw', 'g')) ?? []
		expect(more).toEqual([])
		expect(created.stdout.split('\n')).toContain(key)
		expect(created.stderr).toBe('')
		const id = created.stdout.match(/Created key (\w+)/)?.[1] as string
		for (const argv of [
			['list'],
			['list', '--json', '--all'],
			['show', id],
			['usage', id],
			['audit'],
			['revoke', id],
		]) {
			const out = await run(argv, db.io())
			expect(out.code).toBe(0)
			expect(`${out.stdout}${out.stderr}`).not.toContain(key)
		}
		const json = await run(['create', '--owner', 'acme', '--json'], db.io())
		const parsed = JSON.parse(json.stdout)
		expect(Object.keys(parsed)).toEqual(['key', 'info'])
		expect(json.stdout.split(parsed.key)).toHaveLength(2)
		expect(parsed.info).not.toHaveProperty('hash')
	})

	it('resolves the database from flags, then the environment, then ./.keyward/db', async () => {
		const db = memory()
		await run(['list'], db.io())
		await run(['list'], db.io({ KEYWARD_DATA_DIR: 'data/keys' }))
		await run(['list', '--data-dir', '/var/kw'], db.io({ KEYWARD_DATA_DIR: 'data/keys' }))
		await run(['list'], db.io({ KEYWARD_DATABASE_URL: 'postgres://u@h/db', KEYWARD_DATABASE_SCHEMA: 'keys' }))
		await run(
			['--database-url', 'postgresql://x@y/z', 'list', '--table-prefix', 'kw_'],
			db.io({ KEYWARD_DATABASE_URL: 'postgres://u@h/db' }),
		)
		expect(db.locations.map((l) => [l.url, l.dataDir, l.schema, l.tablePrefix])).toEqual([
			[undefined, resolve('/srv/app/.keyward/db'), undefined, undefined],
			[undefined, resolve('/srv/app/data/keys'), undefined, undefined],
			[undefined, '/var/kw', undefined, undefined],
			['postgres://u@h/db', resolve('/srv/app/.keyward/db'), 'keys', undefined],
			['postgresql://x@y/z', resolve('/srv/app/.keyward/db'), undefined, 'kw_'],
		])
	})

	it('refuses bad command lines with exit status 2 before opening anything', async () => {
		const db = memory()
		const cases: [string[], Record<string, string>, RegExp][] = [
			[['create', '--owner', 'a', '--bogus'], {}, /unknown option '--bogus'/],
			[
				['create', '--owner', 'a', '--expires-in', '10x'],
				{},
				/invalid --expires-in <duration>: expected a duration/,
			],
			[['create', '--owner', 'a', '--expires-in', '0s'], {}, /longer than 0s/],
			[
				['create', '--owner', 'a', '--metadata', '{bad'],
				{},
				/invalid --metadata <json>: expected a JSON object/,
			],
			[['create', '--owner', 'a', '--metadata', '[1]'], {}, /expected a JSON object/],
			[['create', '--owner', 'a', '--quota', '1e3'], {}, /invalid --quota/],
			[['create', '--owner', 'a', '--scope', 'a b'], {}, /invalid --scope/],
			[['create', '--owner', ' '], {}, /invalid --owner/],
			[['create'], {}, /required option '--owner <owner>'/],
			[['revoke-all'], {}, /required option '--owner <owner>'/],
			[['rotate', 'abcd', '--grace', '1y'], {}, /invalid --grace/],
			[['audit', '--limit', '5000'], {}, /invalid --limit/],
			[['show'], {}, /missing required argument 'id'/],
			[['show', 'a', 'b'], {}, /too many arguments/],
			[['crate'], {}, /unknown command 'crate' \(Did you mean create\?\)/],
			[
				['list', '--database-url', 'mysql://u:hunter2@h/db'],
				{},
				/invalid --database-url <url>: expected a postgres/,
			],
			[['list'], { KEYWARD_DATABASE_URL: 'mysql://u:hunter2@h/db' }, /KEYWARD_DATABASE_URL is invalid/],
			[['list'], { KEYWARD_TABLE_PREFIX: 'a-b' }, /KEYWARD_TABLE_PREFIX is invalid/],
			[['list', '--key-prefix', 'KW'], {}, /invalid key settings: prefix must be/],
			[['create', '--ownr', 'a'], {}, /unknown option '--ownr' \(Did you mean --owner\?\)/],
			[['revoke-all', '--onwer', 'a'], {}, /unknown option '--onwer' \(Did you mean --owner\?\)/],
			[['list', '--al'], {}, /unknown option '--al' \(Did you mean --all\?\)/],
			[['list', '--database-url', 'postgres://u@h:99999/db'], {}, /invalid --database-url <url>/],
			[['list'], { KEYWARD_DATABASE_URL: 'postgres://u:hunter2@h:0x/db' }, /KEYWARD_DATABASE_URL is invalid/],
		]
		for (const [argv, env, message] of cases) {
			const out = await run(argv, db.io(env))
			expect([argv, out.code]).toEqual([argv, 2])
			expect(out.stdout).toBe('')
			expect(out.stderr).toMatch(message)
			expect(out.stderr).toMatch(/^keyward: [^\n]+\nRun 'keyward --help'/)
			expect(out.stderr).not.toContain('hunter2')
		}
		expect(db.locations).toEqual([])
		const bare = await run([], db.io())
		expect([bare.code, bare.stdout]).toEqual([2, ''])
		expect(bare.stderr).toContain('Usage: keyward [options] [command]')
	})

	it('opens the database read-only for list, show, usage and audit, and for changes otherwise', async () => {
		const db = memory()
		const created = await run(['create', '--owner', 'acme'], db.io())
		const id = created.stdout.match(/Created key (\w+)/)?.[1] as string
		expect((await run(['owner', 'set', 'acme', '--quota', '100'], db.io())).code).toBe(0)
		const opened: [string, boolean | undefined][] = []
		for (const argv of [
			['list'],
			['show', id],
			['usage', id],
			['audit'],
			['owner', 'list'],
			['owner', 'show', 'acme'],
			['rotate', id],
			['revoke-all', '--owner', 'acme'],
		]) {
			const before = db.readOnly.length
			expect((await run(argv, db.io())).code).toBe(0)
			opened.push([argv.slice(0, argv[0] === 'owner' ? 2 : 1).join(' '), db.readOnly[before]])
		}
		expect(opened).toEqual([
			['list', true],
			['show', true],
			['usage', true],
			['audit', true],
			['owner list', true],
			['owner show', true],
			['rotate', false],
			['revoke-all', false],
		])
		expect(db.readOnly[0]).toBe(false)
	})

	it('has --help for every command, and --version', async () => {
		for (const command of COMMANDS) {
			const out = await run([command, '--help'])
			expect([command, out.code, out.stderr]).toEqual([command, 0, ''])
			expect(out.stdout).toContain(`Usage: keyward ${command}`)
			expect(out.stdout).toContain('--database-url <url>')
		}
		const help = await run(['--help'])
		for (const command of COMMANDS) expect(help.stdout).toContain(`  ${command} `)
		expect((await run(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/)
	})

	it('reports user errors in one line with exit status 1, without echoing keys', async () => {
		const db = memory()
		const fake = generateKey()
		const cases: [string[], RegExp][] = [
			[['show', 'zzzzzzzzzzzz'], /^keyward: no key has the id, id prefix or hint "zzzzzzzzzzzz"\n$/],
			[['revoke', 'abc'], /needs at least 4 characters/],
			[['delete', fake], /^keyward: no such key\n$/],
			[['rotate', 'a/b'], /^keyward: no such key\n$/],
			[
				['create', '--owner', 'a', '--name', 'x'.repeat(300)],
				/^keyward: name must be at most 256 characters\n$/,
			],
		]
		for (const [argv, message] of cases) {
			const out = await run(argv, db.io())
			expect([argv, out.code, out.stdout]).toEqual([argv, 1, ''])
			expect(out.stderr).toMatch(message)
			expect(out.stderr).not.toContain(fake)
		}
		expect(await db.store.list({})).toEqual([])
	})

	it('answers any id argument with the key or a one-line "no key" message', async () => {
		const db = memory()
		const ids: string[] = []
		for (let i = 0; i < 3; i++) {
			const out = await run(['create', '--owner', 'o', '--json'], db.io())
			ids.push(JSON.parse(out.stdout).info.id)
		}
		const command = fc.constantFrom('show', 'usage', 'revoke', 'delete', 'rotate')
		await fc.assert(
			fc.asyncProperty(command, fc.string({ unit: 'grapheme', maxLength: 70 }), async (name, id) => {
				const out = await run([name, '--', id], db.io())
				const matches = ids.filter((k) => id.length >= 4 && k.startsWith(id))
				if (matches.length === 1 && name !== 'show' && name !== 'usage') return
				expect(out.code).toBe(matches.length === 1 ? 0 : 1)
				if (out.code === 1)
					expect(out.stderr).toMatch(
						/^keyward: (no such key|Expected a key id, id prefix, hint or key|no key has the id, id prefix or hint "[0-9A-Za-z]+"[^\n]*)\n$/,
					)
			}),
			{ numRuns: 300 },
		)
		expect((await db.store.list({})).map((r) => r.revokedAt)).toEqual([null, null, null])
	})

	it('prints names safely and lists with a table, a filter and --all', async () => {
		const db = memory()
		await run(['create', '--owner', 'acme', '--name', 'evil\u202eexe.txt', '--quota', '5'], db.io())
		const other = await run(['create', '--owner', 'globex', '--note', 'for CI', '--json'], db.io())
		const globexId = JSON.parse(other.stdout).info.id
		const globexHint = JSON.parse(other.stdout).key.slice(0, 7)
		expect(JSON.parse(other.stdout).info.hint).toBe(globexHint)
		await run(['revoke', globexId], db.io())
		const list = await run(['list'], db.io())
		expect(list.stdout).toMatch(/^ID +HINT +OWNER +NAME +SCOPES +EXPIRES +LAST USED +USED\/QUOTA +STATUS\n/)
		expect(list.stdout).toContain('evil?exe.txt')
		expect(list.stdout).not.toContain('\u202e')
		expect(list.stdout).toMatch(/0\/5 +active\n/)
		expect(list.stdout).toContain('(1 revoked or expired key not shown; --all shows them)')
		const all = await run(['list', '--all', '--owner', 'globex'], db.io())
		expect(all.stdout).toMatch(
			new RegExp(`${globexId} +${globexHint}… +globex +for CI +- +never +never +0 +revoked`),
		)
		expect((await run(['list', '--owner', 'nobody'], db.io())).stdout).toBe('No keys for this owner.\n')
		const again = await run(['revoke', globexId], db.io())
		expect([again.code, again.stdout]).toEqual([0, expect.stringMatching(/was already revoked on/)])
		expect((await run(['revoke-all', '--owner', 'acme'], db.io())).stdout).toBe('Revoked 1 key of acme.\n')
	})

	it('records the actor and source in the audit trail the store keeps', async () => {
		const db = memory()
		await run(['create', '--owner', 'acme', '--actor', 'ops-1'], db.io())
		await run(['create', '--owner', 'acme'], db.io({ KEYWARD_ACTOR: 'ci-bot' }))
		const entries = await db.store.listAudit()
		expect(entries.map((e) => [e.action, e.actor, e.source?.startsWith('cli@')])).toEqual([
			['key.created', 'ci-bot', true],
			['key.created', 'ops-1', true],
		])
		const audit = await run(['audit', '--owner', 'acme'], db.io())
		expect(audit.stdout).toMatch(/^WHEN +ACTION +KEY +OWNER +ACTOR +SOURCE\n/)
		expect(audit.stdout).toMatch(/created +\w{12} +acme +ci-bot +cli@/)
	})

	it('shows logins with a key as "API key login" and logouts as "logout"', async () => {
		const db = memory()
		const keyward = createKeyward({ store: db.store, lastUsed: false })
		const { key, info } = await keyward.createKey({ owner: 'acme' })
		const login = await keyward.createSession(key, { username: 'acme', client: '203.0.113.7' })
		if (login.ok) await keyward.endSession(login.token, { client: '203.0.113.8' })
		const audit = await run(['audit', '--key', info.id], db.io())
		const lines = audit.stdout.split('\n')
		expect(lines[1]).toMatch(new RegExp(`logout +${info.id} +acme +acme +203\\.0\\.113\\.8$`))
		expect(lines[2]).toMatch(new RegExp(`API key login +${info.id} +acme +acme +203\\.0\\.113\\.7$`))
		const json = JSON.parse((await run(['audit', '--key', info.id, '--json'], db.io())).stdout)
		expect(json.map((e: { action: string }) => e.action)).toEqual([
			'session.ended',
			'session.created',
			'key.created',
		])
		expect(audit.stdout + JSON.stringify(json)).not.toContain(key)
	})

	it('maps a failing database to exit status 1 and a redacted message', async () => {
		const key = generateKey()
		const out = await run(['list'], {
			openDatabase: () => Promise.reject(new Error(`boom near ${key}\nsecond line`)),
		})
		expect(out).toEqual({ code: 1, stdout: '', stderr: 'keyward: unexpected error: boom near [REDACTED]\n' })
	})
})
