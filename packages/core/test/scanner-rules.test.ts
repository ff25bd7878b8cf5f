import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { RE2JS } from 're2js'
import { afterAll, describe, expect, it } from 'vitest'
import { generateKey, keyPattern, keyPatternSource, parseKey } from '../src/key-format.js'

// What the docs publish is what is tested: the rules are read from the files the docs show.
const docs = new URL('../../../docs/', import.meta.url)
const read = (path: string) => readFileSync(new URL(path, docs), 'utf8')
const dir = mkdtempSync(join(tmpdir(), 'keyward-scanners-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const PREFIXES = ['kw', 'acme', 'a1']
const ENVIRONMENTS = [null, 'live', 'test', 'x', 'p0123456789abcde']
/** Keys of every prefix and environment, each in the kinds of context keys are found in. */
const keys = PREFIXES.flatMap((prefix) =>
	ENVIRONMENTS.flatMap((environment) => Array.from({ length: 8 }, () => generateKey(prefix, environment))),
)
const CONTEXTS = [
	(k: string) => k,
	(k: string) => `API_KEY=${k}`,
	(k: string) => `  "token": "${k}",`,
	(k: string) => `curl -H 'Authorization: Apikey ${k}' https://api.example`,
	(k: string) => `https://api.example/v1?api_key=${k}&page=2`,
	(k: string) => `const key = '${k}'; // do not commit`,
	(k: string) => `${k}\tin a tab-separated line`,
]
const keyLines = keys.map((k, i) => (CONTEXTS[i % CONTEXTS.length] as (k: string) => string)(k))

/** Text that looks like a key of prefix `kw` but is not one any scanner should report. */
function nearMisses(): string[] {
	const out: string[] = []
	for (const environment of [null, 'live']) {
		const key = generateKey('kw', environment)
		const body = key.slice(-36)
		const head = key.slice(0, -36)
		out.push(
			`${head}${body.slice(1)}`, // 35-character body
			`${head}${body}Z`, // 37-character body
			`${head}${body}_`, // runs on into a word character
			`${head}${body.slice(0, 20)}-${body.slice(20)}`, // broken by a dash
			`x${key}`, // glued to a longer word
			`_${key}`, // an underscore is a word character too
			`9${key}`,
			`kv${key.slice(2)}`, // another prefix
			`KW${key.slice(2)}`,
			`kw${body}`, // no separator
		)
	}
	out.push(`kw_LIVE_${generateKey('kw').slice(3)}`) // an environment in capitals
	return out.map((text) => `value = ${text} end`)
}
const misses = nearMisses()

const keysFile = join(dir, 'keys.txt')
const missesFile = join(dir, 'near-misses.txt')
writeFileSync(keysFile, `${keyLines.join('\n')}\n`)
writeFileSync(missesFile, `${misses.join('\n')}\n`)

/**
 * Line numbers (from 1) that `grep` or `git grep` selects with `args` (which ask for `-n`), run
 * from the scratch directory (git grep --no-index refuses paths outside the repository it is in).
 */
function selected(command: string, args: string[]): number[] {
	const run = spawnSync(command, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } })
	if (run.status === 1) return []
	expect(run.status, run.stderr).toBe(0)
	return run.stdout
		.trim()
		.split('\n')
		.map((line) => Number(/^(?:[^:]*\.txt:)?(\d+):/.exec(line)?.[1]))
}

const allLines = keyLines.map((_, i) => i + 1)

describe('keyPatternSource', () => {
	it('writes the js flavour as keyPattern has it, and POSIX flavours without (?:, \\b or \\d', () => {
		expect(keyPatternSource()).toBe(keyPattern().source)
		expect(keyPatternSource('acme', { flavor: 'js' })).toBe(keyPattern('acme').source)
		expect(keyPatternSource('kw', { flavor: 'posix' })).toBe(
			'(^|[^0-9A-Za-z_])kw_([a-z][a-z0-9]{0,15}_)?[0-9A-Za-z]{36}([^0-9A-Za-z_]|$)',
		)
		expect(keyPatternSource('kw', { flavor: 'posix-word' })).toBe('kw_([a-z][a-z0-9]{0,15}_)?[0-9A-Za-z]{36}')
		for (const flavor of ['posix', 'posix-word'] as const) {
			for (const prefix of PREFIXES) {
				const source = keyPatternSource(prefix, { flavor })
				expect(source).not.toMatch(/\(\?|\\[bdwsBDWS]/)
			}
		}
	})

	it('refuses a prefix keyward would refuse, and an unknown flavour', () => {
		for (const prefix of ['', 'KW', 'k w', 'kw_', '1kw', 'a'.repeat(17), 'kw|.*']) {
			expect(() => keyPatternSource(prefix)).toThrow(/prefix must be/)
		}
		expect(() => keyPatternSource('kw', { flavor: 'pcre' as 'js' })).toThrow(/flavor must be/)
	})

	it('matches exactly the keys in JavaScript, near-misses excluded', () => {
		for (const prefix of PREFIXES) {
			const re = new RegExp(keyPatternSource(prefix), 'g')
			const found = keyLines.flatMap((line) => line.match(re) ?? [])
			expect(found).toEqual(keys.filter((k) => k.startsWith(`${prefix}_`)))
		}
		const kw = new RegExp(keyPatternSource('kw'), 'g')
		expect(misses.flatMap((line) => line.match(kw) ?? [])).toEqual([])
	})
})

describe('POSIX ERE: the real grep', () => {
	const posix = (prefix: string) => keyPatternSource(prefix, { flavor: 'posix' })

	it('grep -E finds every key line and no near-miss', () => {
		const every = PREFIXES.flatMap((p) => ['-e', posix(p)])
		expect(selected('grep', ['-n', '-E', ...every, 'keys.txt'])).toEqual(allLines)
		expect(selected('grep', ['-n', '-E', posix('kw'), 'near-misses.txt'])).toEqual([])
		const kwLines = keyLines.flatMap((line, i) => (line.includes('kw_') ? [i + 1] : []))
		expect(selected('grep', ['-n', '-E', posix('kw'), 'keys.txt'])).toEqual(kwLines)
	})

	it('git grep -E, and git-secrets style (git grep -nwHEI with the word flavour)', () => {
		const every = PREFIXES.flatMap((p) => ['-e', posix(p)])
		expect(selected('git', ['grep', '--no-index', '-n', '-E', ...every, '--', 'keys.txt'])).toEqual(allLines)
		expect(selected('git', ['grep', '--no-index', '-n', '-E', posix('kw'), '--', 'near-misses.txt'])).toEqual(
			[],
		)
		const words = PREFIXES.flatMap((p) => ['-e', keyPatternSource(p, { flavor: 'posix-word' })])
		expect(selected('git', ['grep', '--no-index', '-nwHEI', ...words, '--', 'keys.txt'])).toEqual(allLines)
		const word = keyPatternSource('kw', { flavor: 'posix-word' })
		expect(selected('git', ['grep', '--no-index', '-nwHEI', word, '--', 'near-misses.txt'])).toEqual([])
	})

	it('grep -o with the word flavour and -w prints the keys themselves, which the checksum confirms', () => {
		const word = keyPatternSource('acme', { flavor: 'posix-word' })
		const printed = execFileSync('grep', ['-owE', word, keysFile], {
			encoding: 'utf8',
			env: { ...process.env, LC_ALL: 'C' },
		})
		const found = printed.trim().split('\n')
		expect(found).toEqual(keys.filter((k) => k.startsWith('acme_')))
		for (const key of found) expect(parseKey(key, 'acme')).not.toBeNull()
	})
})

describe('gitleaks rule (docs/scanners/gitleaks.toml)', () => {
	const toml = read('scanners/gitleaks.toml')
	const field = (name: string) => new RegExp(`^${name} = (.*)$`, 'm').exec(toml)?.[1]

	it('is one [[rules]] entry with an id, a description, the regex and a keyword', () => {
		expect(toml.match(/^\[\[rules\]\]$/gm)).toHaveLength(1)
		expect(field('id')).toBe('"keyward-api-key"')
		expect(field('description')).toBe('"keyward API key"')
		expect(field('regex')).toBe(`'''${keyPatternSource('kw')}'''`)
		expect(field('keywords')).toBe('["kw_"]')
	})

	it('stays inside RE2 (no lookaround, no backreferences) and matches exactly the keys there', () => {
		const regex = keyPatternSource('kw')
		expect(regex).not.toMatch(/\(\?[=!<]|\\[1-9]/)
		// re2js is a port of Go's RE2, the engine gitleaks runs: what it compiles, gitleaks compiles.
		const re2 = RE2JS.compile(regex)
		const kwKeys = keys.filter((k) => k.startsWith('kw_'))
		for (const [i, line] of keyLines.entries()) {
			const matcher = re2.matcher(line)
			const key = keys[i] as string
			expect(matcher.find()).toBe(key.startsWith('kw_'))
			if (key.startsWith('kw_')) {
				expect(matcher.group()).toBe(key)
				// gitleaks only runs the regex on text containing a keyword (case-insensitively).
				expect(key.toLowerCase()).toContain('kw_')
			}
		}
		expect(kwKeys.length).toBeGreaterThan(0)
		for (const line of misses) expect(re2.matcher(line).find()).toBe(false)
		// RE2 refuses what it cannot run in linear time; the rule must not contain any of it.
		expect(() => RE2JS.compile('(?=kw_)')).toThrow()
	})
})

describe('secretlint rule (docs/scanners/secretlint.json)', () => {
	const require = createRequire(import.meta.url)
	const bin = join(dirname(require.resolve('secretlint/package.json')), 'bin', 'secretlint.js')
	const config = join(dir, '.secretlintrc.json')
	writeFileSync(config, read('scanners/secretlint.json'))

	function secretlint(file: string): { status: number | null; messages: { message: string }[] } {
		const run = spawnSync(
			process.execPath,
			[bin, '--secretlintrc', config, '--format', 'json', '--maskSecrets', '--no-color', file],
			{ cwd: dir, encoding: 'utf8' },
		)
		const results = JSON.parse(run.stdout) as { messages: { message: string }[] }[]
		return { status: run.status, messages: results.flatMap((r) => r.messages) }
	}

	it('is @secretlint/secretlint-rule-pattern with the js pattern for kw', () => {
		const parsed = JSON.parse(read('scanners/secretlint.json')) as {
			rules: { id: string; options: { patterns: { name: string; patterns: string[] }[] } }[]
		}
		expect(parsed.rules.map((r) => r.id)).toEqual(['@secretlint/secretlint-rule-pattern'])
		expect(parsed.rules[0]?.options.patterns[0]?.patterns).toEqual([`/${keyPatternSource('kw')}/`])
	})

	it('run for real, reports every kw key and no near-miss, with the key masked', () => {
		const kwFile = join(dir, 'kw-keys.txt')
		const kwLines = keyLines.filter((_, i) => (keys[i] as string).startsWith('kw_'))
		writeFileSync(kwFile, `${kwLines.join('\n')}\n`)
		const found = secretlint(kwFile)
		expect(found.status).toBe(1)
		expect(found.messages).toHaveLength(kwLines.length)
		for (const { message } of found.messages) {
			expect(message).toMatch(/^found matching \*+: \*+$/)
			for (const key of keys) expect(message).not.toContain(key.slice(-36))
		}
		const clean = secretlint(missesFile)
		expect([clean.status, clean.messages]).toEqual([0, []])
	}, 60_000)
})

describe('docs/leak-response.md', () => {
	const page = read('leak-response.md')
	const block = (lang: string) => new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``).exec(page)?.[1]

	it('shows the rule files word for word', () => {
		expect(block('toml')).toBe(read('scanners/gitleaks.toml'))
		expect(block('json')).toBe(read('scanners/secretlint.json'))
	})

	it('prints the patterns keyPatternSource writes', () => {
		const cell = (text: string) => `\`${text.replaceAll('|', '\\|')}\``
		for (const flavor of ['js', 'posix', 'posix-word'] as const) {
			expect(page).toContain(cell(keyPatternSource('kw', { flavor })))
		}
		expect(page).toContain(`grep -rnE '${keyPatternSource('acme', { flavor: 'posix' })}' .`)
		expect(page).toContain(`git secrets --add '${keyPatternSource('acme', { flavor: 'posix-word' })}'`)
	})
})

it('SECURITY.md and the core README give the POSIX form', () => {
	const security = read('../SECURITY.md')
	const core = read('../packages/core/README.md')
	for (const page of [security, core]) {
		expect(page).toContain(`\`${keyPatternSource('kw', { flavor: 'posix' })}\``)
	}
})
