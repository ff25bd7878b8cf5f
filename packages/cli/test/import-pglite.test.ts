import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openPostgresStore } from '@keyward/postgres'
import { afterAll, describe, expect, it } from 'vitest'
import { hello, type Run, runBinary, type Target } from './scenario.js'

// The migration story, with the built binary on an embedded database and the Express
// example over HTTP: keys of two other systems keep working, and the hint finds them.
const root = mkdtempSync(join(tmpdir(), 'keyward-import-pglite-'))
const dataDir = join(root, 'db')
afterAll(() => rmSync(root, { recursive: true, force: true }))
const target: Target = { args: ['--data-dir', dataDir], openStore: () => openPostgresStore({ dataDir }) }

const PEPPER = 'a pepper the application also has'
const DLUBAL = 'dlubal=ak-[A-Za-z0-9_-]{32,64}'
const app = {
	pepper: PEPPER,
	legacyFormats: ['hex' as const, { name: 'dlubal', pattern: /ak-[A-Za-z0-9_-]{32,64}/ }],
}
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** The binary with the application's settings: formats as flags, the pepper from the environment. */
async function keyward(args: string[], expected = 0): Promise<Run> {
	const run = await runBinary(
		['--legacy-format', 'hex', '--legacy-format', DLUBAL, ...target.args, ...args],
		{
			KEYWARD_PEPPER: PEPPER,
		},
	)
	expect(run.code, `keyward ${args.join(' ')}\n${run.stdout}${run.stderr}`).toBe(expected)
	return run
}

describe('importing keys of other systems, on PGlite', () => {
	it('a Tiled hex key, a Dlubal ak- key and a hash-only key authenticate over HTTP; revoke by hint', async () => {
		const tiled = randomBytes(32).toString('hex') // Python: secrets.token_hex(32)
		const dlubal = `ak-${randomBytes(32).toString('base64url')}`
		const hashed = randomBytes(32).toString('hex')
		const file = join(root, 'keys.jsonl')
		writeFileSync(
			file,
			[
				{ key: tiled, owner: 'tiled-user', scopes: ['read:data'] },
				{ key: dlubal, owner: 'dlubal-customer', monthlyQuota: 1000 },
				{ sha256: sha256(hashed), hint: hashed.slice(0, 8), owner: 'legacy-batch' },
			]
				.map((line) => JSON.stringify(line))
				.join('\n'),
		)
		const dry = await keyward(['import', '--dry-run', file])
		expect(dry.stdout).toMatch(/Dry run: 3 keys would be imported, 0 refused; nothing was stored\.\n$/)
		const imported = await keyward(['import', file])
		expect(imported.stdout).toMatch(/^line 1: imported key \w{12} for tiled-user \(hex, hint /)
		for (const key of [tiled, dlubal, hashed]) expect(imported.stdout).not.toContain(key.slice(8))

		for (const [key, owner] of [
			[tiled, 'tiled-user'],
			[dlubal, 'dlubal-customer'],
			[hashed, 'legacy-batch'],
		] as const) {
			expect(await hello(target, key, app)).toMatchObject({
				status: 200,
				body: { message: `Hello, ${owner}!` },
			})
		}
		// Without the formats configured, the application refuses them as before.
		expect(await hello(target, tiled, { pepper: PEPPER })).toMatchObject({
			status: 401,
			body: { code: 'malformed' },
		})

		// Tiled users know their key by its first 8 characters: the listing shows them.
		const listed = await keyward(['list', '--owner', 'tiled-user'])
		expect(listed.stdout).toContain(`${tiled.slice(0, 8)}…`)
		const revoked = await keyward(['revoke', tiled.slice(0, 8)])
		expect(revoked.stdout).toMatch(/^Revoked key \w{12} of tiled-user\.\n$/)
		expect(await hello(target, tiled, app)).toMatchObject({ status: 401, body: { code: 'revoked' } })
		await keyward(['revoke', `${dlubal.slice(0, 8)}…`])
		expect(await hello(target, dlubal, app)).toMatchObject({ status: 401, body: { code: 'revoked' } })
		expect(await hello(target, hashed, app)).toMatchObject({ status: 200 })

		const audit = await keyward(['audit', '--json'])
		const actions = (JSON.parse(audit.stdout) as { action: string }[]).map((e) => e.action)
		expect(actions.sort()).toEqual([
			'key.imported',
			'key.imported',
			'key.imported',
			'key.revoked',
			'key.revoked',
		])
		const again = await keyward(['import', file], 1)
		expect(again.stderr).toBe('keyward: 3 lines were refused (see the report above)\n')
	}, 120_000)
})
