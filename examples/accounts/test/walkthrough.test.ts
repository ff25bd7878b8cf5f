import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')

it('the core README shows the walkthrough word for word', () => {
	const readme = read('../../../packages/core/README.md')
	const shown = /## Accounts \(principals\)[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1]
	expect(shown).toBe(read('../src/walkthrough.ts'))
})

it('prints what its comments say', () => {
	const script = fileURLToPath(new URL('../dist/walkthrough.js', import.meta.url))
	const printed = execFileSync(process.execPath, [script], { encoding: 'utf8' }).trim().split('\n')
	const promised = [...read('../src/walkthrough.ts').matchAll(/^console\.log\(.*\) \/\/ (.*)$/gm)].map((m) =>
		(m[1] as string).replace(/ \(.*\)$/, '').trim(),
	)
	expect(printed).toHaveLength(promised.length)
	promised.forEach((comment, i) => {
		const expected = comment?.replace(/^'(.*)'$/, '$1')
		expect(printed[i]?.replace(/\s+/g, ' ')).toBe(expected?.replace(/\s+/g, ' '))
	})
})
