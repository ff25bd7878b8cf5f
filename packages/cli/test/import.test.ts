import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { createKeyward } from '@keyward/core'
import { generateKey } from '@keyward/core/testing'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { readLines } from '../src/import-lines.js'
import { memory, run } from './memory-cli.js'

const dir = mkdtempSync(join(tmpdir(), 'keyward-import-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const tiledKey = () => randomBytes(32).toString('hex')
const dlubalKey = () => `ak-${randomBytes(24).toString('base64url')}`
const DLUBAL = 'dlubal=ak-[A-Za-z0-9_-]{32,64}'
const FORMATS = ['--legacy-format', 'hex', '--legacy-format', DLUBAL]
const jsonl = (...lines: unknown[]) =>
	`${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`
let files = 0
function file(content: string): string {
	const path = join(dir, `import-${++files}.jsonl`)
	writeFileSync(path, content)
	return path
}

describe('keyward import', () => {
	it('imports a Tiled key, a Dlubal key, a hash with its hint and a keyward key; each then verifies', async () => {
		const db = memory()
		const [tiled, dlubal, hashed, own] = [tiledKey(), dlubalKey(), tiledKey(), generateKey()]
		const path = file(
			jsonl(
				{ key: tiled, owner: 'alice', name: 'notebook', scopes: ['read:data'] },
				'',
				{ key: dlubal, owner: 'dlubal-customer', monthlyQuota: 100, metadata: { project: 'A' } },
				{ sha256: sha256(hashed), hint: hashed.slice(0, 8), owner: 'bob', expiresAt: '2099-01-01T00:00:00Z' },
				{ key: own },
			),
		)
		const out = await run([...FORMATS, 'import', path, '--owner', 'ops'], db.io())
		expect([out.code, out.stderr]).toEqual([0, ''])
		const lines = out.stdout.trim().split('\n')
		expect(lines).toEqual([
			expect.stringMatching(
				new RegExp(`^line 1: imported key \\w{12} for alice \\(hex, hint ${tiled.slice(0, 8)}…\\)$`),
			),
			expect.stringMatching(/^line 3: imported key \w{12} for dlubal-customer \(dlubal, hint ak-.{5}…\)$/),
			expect.stringMatching(
				new RegExp(`^line 4: imported key \\w{12} for bob \\(sha256, hint ${hashed.slice(0, 8)}…\\)$`),
			),
			expect.stringMatching(
				new RegExp(`^line 5: imported key \\w{12} for ops \\(keyward, hint ${own.slice(0, 7)}…\\)$`),
			),
			'Imported 4 keys, 0 refused.',
		])
		for (const key of [tiled, dlubal, hashed, own]) expect(out.stdout).not.toContain(key.slice(8))
		const keyward = createKeyward({
			store: db.store,
			legacyFormats: ['hex', { name: 'dlubal', pattern: /ak-[A-Za-z0-9_-]{32,64}/ }],
		})
		for (const key of [tiled, dlubal, hashed, own])
			expect(await keyward.verifyKey(key)).toMatchObject({ ok: true })
		expect((await db.store.listAudit()).map((e) => e.action)).toEqual(Array(4).fill('key.imported'))
		const audit = await run(['audit'], db.io())
		expect(audit.stdout).toMatch(/imported/)
	})

	it('reports every refused line with its reason and goes on; exit status 1; never echoes a key', async () => {
		const db = memory()
		const good = tiledKey()
		const secrets = [tiledKey(), dlubalKey(), tiledKey(), tiledKey()]
		const content = jsonl(
			`{"key": "${secrets[0]}", owner: "x"}`, // not JSON
			[secrets[1]],
			{ sha256: 'g'.repeat(64), owner: 'x' },
			{ sha256: sha256(secrets[2] as string), hint: 'ab\u0007cd', owner: 'x' },
			{ [secrets[3] as string]: 1, owner: 'x' },
			{ key: 'ak-short', owner: 'x' },
			{ key: good, owner: 'x' },
			{ key: good, owner: 'x' },
			{ key: tiledKey() },
			{ key: tiledKey(), owner: 'x', expiresAt: 'tomorrow' },
			{ key: tiledKey(), owner: 'x', ownr: 'y' },
			`{"key": "${'a'.repeat(70_000)}", "owner": "x"}`,
			{ key: 42, owner: 'x' },
		)
		const out = await run([...FORMATS, 'import', file(content)], db.io())
		expect(out.code).toBe(1)
		expect(out.stdout.trim().split('\n')).toEqual([
			'line 1: refused: not valid JSON',
			'line 2: refused: not a JSON object',
			'line 3: refused: sha256 must be 64 hexadecimal characters',
			'line 4: refused: hint must be 1-16 letters, digits or _ . ~ + / = - (the first characters of the key)',
			'line 5: refused: unknown field name (fields: key, sha256, hint, owner, name, note, scopes, expiresAt, monthlyQuota, metadata)',
			'line 6: refused: The key matches neither the keyward format nor a configured legacy format',
			expect.stringMatching(/^line 7: imported key \w{12} for x \(hex, hint .{8}…\)$/),
			'line 8: refused: the same key as line 7',
			'line 9: refused: owner is required',
			'line 10: refused: expiresAt must be an ISO 8601 date, such as 2027-01-31T00:00:00Z, or null',
			'line 11: refused: unknown field "ownr" (fields: key, sha256, hint, owner, name, note, scopes, expiresAt, monthlyQuota, metadata)',
			'line 12: refused: longer than 65536 characters',
			'line 13: refused: key must be a string',
			'Imported 1 key, 12 refused.',
		])
		expect(out.stderr).toBe('keyward: 12 lines were refused (see the report above)\n')
		for (const secret of [...secrets, good])
			expect(`${out.stdout}${out.stderr}`).not.toContain(secret.slice(4))
		expect(await db.store.list({})).toHaveLength(1)
	})

	it('--dry-run checks every line and stores nothing; --json reports each line', async () => {
		const db = memory()
		const key = tiledKey()
		const path = file(jsonl({ key, owner: 'x' }, { key: 'nope', owner: 'x' }))
		const dry = await run([...FORMATS, 'import', '--dry-run', path], db.io())
		expect(dry.code).toBe(1)
		expect(dry.stdout).toMatch(/^line 1: would import a key for x \(hex, hint .{8}…\)\n/)
		expect(dry.stdout).toContain('Dry run: 1 key would be imported, 1 refused; nothing was stored.')
		expect([await db.store.list({}), await db.store.listAudit()]).toEqual([[], []])
		const json = await run([...FORMATS, 'import', '--dry-run', '--json', path], db.io())
		expect(JSON.parse(json.stdout)).toEqual({
			dryRun: true,
			imported: 1,
			skipped: 0,
			refused: 1,
			lines: [
				{ line: 1, status: 'imported', id: null, owner: 'x', format: 'hex', hint: key.slice(0, 8) },
				{
					line: 2,
					status: 'refused',
					code: 'invalid_argument',
					reason: 'The key matches neither the keyward format nor a configured legacy format',
				},
			],
		})
	})

	it('--skip-existing makes a re-run succeed; without it, keys already stored are refused', async () => {
		const db = memory()
		const path = file(jsonl({ key: tiledKey(), owner: 'x' }, { key: dlubalKey(), owner: 'y' }))
		expect((await run([...FORMATS, 'import', path], db.io())).code).toBe(0)
		const again = await run([...FORMATS, 'import', path], db.io())
		expect(again.code).toBe(1)
		expect(again.stdout).toContain('line 2: refused: This key is already stored')
		const skipped = await run([...FORMATS, 'import', '--skip-existing', path], db.io())
		expect([skipped.code, skipped.stdout]).toEqual([
			0,
			'line 1: skipped: already stored\nline 2: skipped: already stored\nImported 0 keys, 2 skipped, 0 refused.\n',
		])
	})

	it('reads standard input for -, and formats from KEYWARD_LEGACY_FORMATS', async () => {
		const db = memory()
		const key = dlubalKey()
		const stdin = Readable.from([
			Buffer.from(jsonl({ key, owner: 'x' }).slice(0, 10)),
			jsonl({ key, owner: 'x' }).slice(10),
		])
		const out = await run(['import', '-'], {
			...db.io({ KEYWARD_LEGACY_FORMATS: ` hex  ${DLUBAL} ` }),
			stdin,
		})
		expect([out.code, out.stderr]).toEqual([0, ''])
		expect(out.stdout).toMatch(/^line 1: imported key \w{12} for x \(dlubal, hint /)
		expect(db.locations.at(-1)?.legacyFormats).toHaveLength(2)
	})

	it('refuses bad formats before opening the database (exit status 2), and a missing file (1)', async () => {
		const db = memory()
		const cases: [string[], Record<string, string>, RegExp][] = [
			[
				['--legacy-format', 'dlubal=ak-[', 'list'],
				{},
				/invalid --legacy-format <format>: the regex of "dlubal" is not a valid/,
			],
			[['--legacy-format', 'nope', 'list'], {}, /expected hex or <name>=<regex>/],
			[
				['--legacy-format', 'any=.*', 'list'],
				{},
				/invalid key settings: legacyFormats: the pattern of "any" matches the empty string/,
			],
			[['--legacy-format', 'all=.+', 'list'], {}, /matches arbitrary text/],
			[['--legacy-format', 'kw=kw_\\w+', 'list'], {}, /matches keyward keys/],
			[
				['list'],
				{ KEYWARD_LEGACY_FORMATS: 'hex Bad=x' },
				/KEYWARD_LEGACY_FORMATS is invalid: expected hex or/,
			],
		]
		for (const [argv, env, message] of cases) {
			const out = await run(argv, db.io(env))
			expect([argv, out.code]).toEqual([argv, 2])
			expect(out.stderr).toMatch(message)
		}
		expect(db.locations).toEqual([])
		const missing = await run(['import', join(dir, 'missing.jsonl')], db.io())
		expect([missing.code, missing.stderr]).toEqual([
			1,
			`keyward: cannot read ${join(dir, 'missing.jsonl')}: no such file\n`,
		])
	})

	it('revoke and show accept a hint; an ambiguous one is refused and names nothing', async () => {
		const db = memory()
		const [a, b] = [tiledKey(), tiledKey()]
		const path = file(
			jsonl(
				{ key: a, owner: 'x' },
				{ sha256: sha256(b), hint: 'cafe0123', owner: 'y' },
				{ sha256: sha256(tiledKey()), hint: 'cafe0123', owner: 'z' },
			),
		)
		expect((await run([...FORMATS, 'import', path], db.io())).code).toBe(0)
		const shown = await run(['show', a.slice(0, 8)], db.io())
		expect(shown.stdout).toMatch(new RegExp(`^ID +\\w{12}\\nHint +${a.slice(0, 8)}…\\nOwner +x\\n`))
		const listed = await run(['list', '--owner', 'x'], db.io())
		expect(listed.stdout).toContain(`${a.slice(0, 8)}…`)
		const revoked = await run(['revoke', `${a.slice(0, 8)}…`], db.io())
		expect(revoked.stdout).toMatch(/^Revoked key \w{12} of x\.\n$/)
		const ambiguous = await run(['revoke', 'cafe0123'], db.io())
		expect([ambiguous.code, ambiguous.stdout, ambiguous.stderr]).toEqual([
			1,
			'',
			'keyward: more than one key matches "cafe0123" (as an id prefix or a hint): give the whole id\n',
		])
		const keyward = createKeyward({ store: db.store })
		expect((await keyward.listKeys()).filter((k) => k.revokedAt !== null).map((k) => k.owner)).toEqual(['x'])
		const [created] =
			(await run(['create', '--owner', 'w', '--json'], db.io())).stdout
				.match(/"hint": "(kw_\w{4})"/)
				?.slice(1) ?? []
		expect((await run(['revoke', created as string], db.io())).stdout).toMatch(
			/^Revoked key \w{12} of w\.\n$/,
		)
	})

	it('reads lines across chunks: split characters, CRLF, a last line without newline, endless lines', async () => {
		const collect = async (chunks: (string | Buffer)[]) => {
			const lines: unknown[] = []
			for await (const line of readLines(Readable.from(chunks))) lines.push(line)
			return lines
		}
		const euro = Buffer.from('{"a":"€"}\r\nlast')
		expect(await collect([euro.subarray(0, 7), euro.subarray(7)])).toEqual([
			{ number: 1, text: '{"a":"€"}' },
			{ number: 2, text: 'last' },
		])
		expect(await collect(['a\n\nb\n'])).toEqual([
			{ number: 1, text: 'a' },
			{ number: 2, text: '' },
			{ number: 3, text: 'b' },
		])
		const endless = Array.from({ length: 50 }, () => 'x'.repeat(10_000))
		expect(await collect([...endless, '\nok'])).toEqual([
			{ number: 1, tooLong: true },
			{ number: 2, text: 'ok' },
		])
		expect(await collect([...endless])).toEqual([{ number: 1, tooLong: true }])
		expect(await collect([])).toEqual([])
	})

	it('never echoes text from a line, whatever the line holds (property)', async () => {
		const db = memory()
		await fc.assert(
			fc.asyncProperty(fc.string({ minLength: 1, maxLength: 200 }), async (noise) => {
				const key = generateKey()
				const lines = [
					`${noise}${key}`,
					`{"key":${JSON.stringify(noise + key)}}`,
					`{${JSON.stringify(key)}:1}`,
				]
				const out = await run([...FORMATS, 'import', '-'], {
					...db.io(),
					stdin: Readable.from([lines.join('\n')]),
				})
				expect(out.code).toBe(1)
				expect(`${out.stdout}${out.stderr}`).not.toContain(key.slice(3))
			}),
			{ numRuns: 40 },
		)
	})
})
