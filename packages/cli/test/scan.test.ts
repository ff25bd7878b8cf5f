import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { keyPattern } from '@keyward/core'
import { generateKey } from '@keyward/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memory, run } from './memory-cli.js'

const root = mkdtempSync(join(tmpdir(), 'keyward-scan-'))
const tree = join(root, 'repo')
afterAll(() => rmSync(root, { recursive: true, force: true }))

function plant(path: string, text: string | Buffer): void {
	mkdirSync(dirname(join(tree, path)), { recursive: true })
	writeFileSync(join(tree, path), text)
}

/** `key` with its last checksum character changed: the same shape, a wrong checksum. */
function lookAlike(key: string): string {
	return `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`
}

/** `kw_live_AbCd…`, as the scan prints a key. */
function redacted(key: string): string {
	const body = key.length - 36
	return `${key.slice(0, body + 4)}…`
}

const db = memory()
/** Keys made by `keyward create`, by name. */
const keys: Record<string, string> = {}
/** `path:line:column: key` of every planted key the scan must report. */
const expected: string[] = []

async function create(name: string, ...flags: string[]): Promise<void> {
	const out = await run(['create', '--owner', 'acme', '--json', ...flags], db.io())
	expect(out.code).toBe(0)
	keys[name] = JSON.parse(out.stdout).key as string
}

function reported(path: string, line: number, column: number, key: string): void {
	expected.push(`${path}:${line}:${column}: ${redacted(key)}(redacted)`)
}

beforeAll(async () => {
	await create('live', '--environment', 'live')
	await create('live2', '--environment', 'live')
	await create('test', '--environment', 'test')
	await create('plain')
	await create('other', '--key-prefix', 'acme')
	const [live, live2, test, plain, other] = ['live', 'live2', 'test', 'plain', 'other'].map(
		(name) => keys[name] as string,
	) as [string, string, string, string, string]

	plant('config/production.json', `{\n  "api": {\n    "key": "${live}",\n    "retries": 3\n  }\n}\n`)
	reported('config/production.json', 3, 13, live)
	plant('.env', `# local settings\nKEYWARD_API_KEY=${test}\nOTHER=1\n`)
	reported('.env', 2, 17, test)
	plant('src/client.ts', `const url = 'https://api.example.com/v1/reports?api_key=${live2}&limit=5'\n`)
	reported('src/client.ts', 1, 57, live2)
	plant('docs/setup.md', `Use \`${plain}\` or "${live}".\n`)
	reported('docs/setup.md', 1, 6, plain)
	reported('docs/setup.md', 1, 6 + plain.length + 6, live)
	plant('windows.ini', `[api]\r\nkey=${live2}\r\n`)
	reported('windows.ini', 2, 5, live2)
	plant('nested/deep/a/b/c/keys.yaml', `tokens:\n  - ${test}\n  - ${other}\n`)
	reported('nested/deep/a/b/c/keys.yaml', 2, 5, test)
	// One long line: a key across the 64 KiB boundary of the reads, and one at its very end.
	const boundary = 65_536 - 20
	plant('big/minified.js', `${'x;'.repeat(boundary / 2)}${plain};${'y'.repeat(200_000)}=${live}`)
	reported('big/minified.js', 1, boundary + 1, plain)
	reported('big/minified.js', 1, boundary + plain.length + 200_003, live)

	// Never reported: look-alikes, keys glued to other text, and places that are not scanned.
	plant(
		'lookalikes.txt',
		[
			...Object.values(keys).map(lookAlike),
			`${live.slice(0, 12)}${live[12] === 'a' ? 'b' : 'a'}${live.slice(13)}`,
			`x${live}`,
			`${plain}0`,
			`kw_${'A'.repeat(36)}`,
		].join('\n'),
	)
	plant('node_modules/lib/index.js', `module.exports = '${live}'\n`)
	plant('src/node_modules/x.js', live)
	plant('.git/config', `[remote]\n\turl = https://x:${live}@example.com\n`)
	plant('assets/logo.png', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0]), Buffer.from(live)]))
	writeFileSync(join(root, 'outside.env'), `KEY=${live}\n`)
	symlinkSync(join(root, 'outside.env'), join(tree, 'linked.env'))
	symlinkSync(root, join(tree, 'linked-dir'))
})

/** Stdout and stderr of a run never hold a key. */
function expectNoKey(out: { stdout: string; stderr: string }): void {
	const text = `${out.stdout}${out.stderr}`
	expect(text.match(keyPattern('kw', 'g'))).toBeNull()
	for (const key of Object.values(keys)) expect(text).not.toContain(key.slice(-30))
}

describe('keyward scan', () => {
	it('finds every key keyward create made in a tree, and nothing else; exit 1', async () => {
		const opened = db.locations.length
		const out = await run(['scan', '--prefix', 'kw'], db.io({}, tree))
		expect(out.code).toBe(1)
		expect(out.stdout.trimEnd().split('\n').sort()).toEqual([...expected].sort())
		expect(out.stderr).toBe(
			'keyward: found 9 keys in 7 files: treat them as leaked, revoke and remove them\n',
		)
		expectNoKey(out)
		for (const name of ['live', 'live2', 'test', 'plain'])
			expect(out.stdout).toContain(redacted(keys[name] as string))
		// Without --check, the database is never opened.
		expect(db.locations.length).toBe(opened)
	})

	it('looks for other prefixes with --prefix, and for the database key prefix by default', async () => {
		const file = 'nested/deep/a/b/c/keys.yaml'
		const both = await run(['scan', '--prefix', 'kw', '--prefix', 'acme', file], db.io({}, tree))
		expect(both.stdout.trimEnd().split('\n')).toEqual([
			`${file}:2:5: ${redacted(keys.test as string)}(redacted)`,
			`${file}:3:5: ${redacted(keys.other as string)}(redacted)`,
		])
		const byPrefix = await run(['scan', file], db.io({ KEYWARD_KEY_PREFIX: 'acme' }, tree))
		expect([byPrefix.code, byPrefix.stdout]).toEqual([
			1,
			`${file}:3:5: ${redacted(keys.other as string)}(redacted)\n`,
		])
		expectNoKey(byPrefix)
	})

	it('exits 0, printing nothing, when only look-alikes and skipped places hold key text', async () => {
		for (const paths of [
			['lookalikes.txt'],
			['lookalikes.txt', 'assets', 'linked.env', 'linked-dir'],
			['node_modules/lib/../../lookalikes.txt'],
		]) {
			const out = await run(['scan', ...paths], db.io({}, tree))
			expect([paths, out.code, out.stdout]).toEqual([paths, 0, ''])
		}
		const warned = await run(['scan', 'linked.env'], db.io({}, tree))
		expect(warned).toEqual({
			code: 0,
			stdout: '',
			stderr: 'keyward: skipped linked.env: a symbolic link is not followed\n',
		})
	})

	it('reads standard input for -', async () => {
		const stdin = Readable.from([
			`first line\nsecond\n  token: ${keys.test?.slice(0, 20)}`,
			`${keys.test?.slice(20)}\n`,
		])
		const out = await run(['scan', '-'], { ...db.io({}, tree), stdin })
		expect([out.code, out.stdout]).toEqual([1, `-:3:10: ${redacted(keys.test as string)}(redacted)\n`])
		const clean = await run(['scan', '-'], { ...db.io({}, tree), stdin: Readable.from(['nothing here\n']) })
		expect([clean.code, clean.stdout, clean.stderr]).toEqual([0, '', ''])
	})

	it('prints JSON with --json', async () => {
		const out = await run(['scan', '--json', 'config', 'assets', '.env'], db.io({}, tree))
		expect(out.code).toBe(1)
		expect(JSON.parse(out.stdout)).toEqual({
			findings: [
				{
					path: 'config/production.json',
					line: 3,
					column: 13,
					key: redacted(keys.live as string),
					prefix: 'kw',
					environment: 'live',
				},
				{
					path: '.env',
					line: 2,
					column: 17,
					key: redacted(keys.test as string),
					prefix: 'kw',
					environment: 'test',
				},
			],
			scanned: 2,
			skipped: { binary: 1 },
			unreadable: [],
		})
		expectNoKey(out)
	})

	it('exits 2 on a bad command line, and on a path it cannot read unless it found a key', async () => {
		const bad = await run(['scan', '--prefix', 'KW'], db.io({}, tree))
		expect([bad.code, bad.stdout]).toEqual([2, ''])
		expect(bad.stderr).toMatch(/^keyward: invalid --prefix <prefix>: a key prefix is/)
		const missing = await run(['scan', 'lookalikes.txt', 'no-such-dir'], db.io({}, tree))
		expect(missing).toEqual({
			code: 2,
			stdout: '',
			stderr: 'keyward: cannot read no-such-dir: no such file or directory\n',
		})
		const found = await run(['scan', 'no-such-dir', '.env'], db.io({}, tree))
		expect(found.code).toBe(1)
	})

	it('with --check, says whether each key is live, revoked, expired or unknown', async () => {
		await create('revoked', '--environment', 'live')
		await create('expiring', '--expires-in', '1s')
		expect((await run(['revoke', keys.revoked as string], db.io())).code).toBe(0)
		const unknown = generateKey('kw', 'live')
		const list = [keys.live, keys.revoked, keys.expiring, unknown, keys.live].join('\n')
		plant('check/keys.txt', `${list}\n`)
		const later = Date.now() + 3_600_000
		const ids = JSON.parse((await run(['list', '--all', '--json'], db.io())).stdout) as { id: string }[]
		const opened = db.locations.length
		const out = await run(['scan', '--check', 'check'], { ...db.io({}, tree), now: () => later })
		expect(out.code).toBe(1)
		const statuses = out.stdout
			.trimEnd()
			.split('\n')
			.map((line) => line.replace(/^check\/keys\.txt:\d+:1: \S+ /, ''))
		expect(statuses.map((s) => s.replace(/ key \w{12} of acme$/, ' key ID of acme'))).toEqual([
			'live: key ID of acme',
			'revoked: key ID of acme',
			'expired: key ID of acme',
			'unknown',
			'live: key ID of acme',
		])
		for (const status of statuses.filter((s) => s !== 'unknown'))
			expect(ids.map((k) => k.id)).toContain(status.match(/key (\w{12})/)?.[1])
		expect(db.locations.length).toBe(opened + 1)
		expectNoKey(out)
		expect(out.stdout).not.toContain(unknown.slice(12))
		const json = JSON.parse((await run(['scan', '--check', '--json', 'check'], db.io({}, tree))).stdout)
		expect(json.findings[1]).toMatchObject({ status: 'revoked', owner: 'acme', line: 2 })
	})
})
