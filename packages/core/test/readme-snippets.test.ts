import { readFileSync } from 'node:fs'
import { expect, it, vi } from 'vitest'

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')

it('the README section "Moving existing keys to keyward" is snippets/moving-keys.ts, word for word', () => {
	const readme = read('../README.md')
	const shown = /## Moving existing keys to keyward[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1]
	expect(shown).toBe(read('./snippets/moving-keys.ts'))
})

it('snippets/moving-keys.ts runs and prints what its comments say', async () => {
	const printed: string[] = []
	const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
		printed.push(args.map(String).join(' '))
	})
	try {
		await import('./snippets/moving-keys.js')
	} finally {
		log.mockRestore()
	}
	const promised = [...read('./snippets/moving-keys.ts').matchAll(/console\.log\(.*\)\)? \/\/ (.*)$/gm)].map(
		(m) => m[1] as string,
	)
	expect(promised).toHaveLength(5)
	expect(printed).toEqual(promised)
})
