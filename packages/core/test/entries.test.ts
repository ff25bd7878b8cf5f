import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')

/** The names an entry file re-exports. */
function exported(file: string): string[] {
	const names: string[] = []
	for (const match of read(`../src/${file}`).matchAll(/export (?:type )?\{([^}]*)\}/g)) {
		for (const part of (match[1] as string).split(',')) {
			const name = part.replace(/^\s*type\s+/, '').trim()
			if (name !== '') names.push(name)
		}
	}
	return names
}

describe('entry points', () => {
	it('keeps the main entry to what application authors use: at most 45 names', () => {
		const names = exported('index.ts')
		expect(names.length).toBeLessThanOrEqual(45)
		expect(new Set(names).size).toBe(names.length)
		// Plumbing lives in the entries of its audience.
		for (const moved of [
			'createKeyManager',
			'isPreflight',
			'readRequestBody',
			'runKeyStoreConformance',
			'KeyUsage',
		])
			expect(names).not.toContain(moved)
	})

	it('publishes every entry, and each holds only re-exports', async () => {
		const pkg = JSON.parse(read('../package.json')) as { exports: Record<string, unknown> }
		expect(Object.keys(pkg.exports)).toEqual([
			'.',
			'./adapter',
			'./wire',
			'./management',
			'./testing',
			'./package.json',
		])
		for (const file of ['index.ts', 'adapter.ts', 'management.ts', 'testing/index.ts']) {
			const code = read(`../src/${file}`).replace(/export (?:type )?\{[^}]*\} from '[^']+'\n?/g, '')
			expect(code.trim(), file).toBe('')
		}
	})

	it('gives the wire contract an entry that imports nothing, for callers', () => {
		expect(read('../src/wire.ts')).not.toMatch(/^import /m)
	})
})
