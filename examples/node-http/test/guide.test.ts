import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')

it('the guide shows the adapter word for word', () => {
	const guide = read('../../../docs/writing-an-adapter.md')
	const adapter = read('../src/adapter.ts')
	const shown = /## A complete adapter for plain `node:http`[\s\S]*?```ts\n([\s\S]*?)```/.exec(guide)?.[1]
	expect(shown).toBe(adapter)
})
