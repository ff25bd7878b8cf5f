import { describe, expect, it } from 'vitest'
import { extractSnippets } from './extract.js'

describe('extractSnippets', () => {
	it('takes ts blocks with their line, name and run note, and skips other languages', () => {
		const markdown = [
			'# Title',
			'```sh',
			'npm install x',
			'```',
			'<!-- snippet: adapter.ts -->',
			'```ts',
			'export const a = 1',
			'```',
			'<!-- snippet: not run, needs a terminal, really -->',
			'```ts',
			"import { a } from './adapter.js'",
			'```',
			'```ts',
			'',
			'```',
		].join('\n')
		expect(extractSnippets(markdown, 'docs/guide.md')).toEqual([
			{
				doc: 'docs/guide.md',
				line: 6,
				file: 'docs-guide/adapter.ts',
				code: 'export const a = 1',
				run: true,
				why: undefined,
			},
			{
				doc: 'docs/guide.md',
				line: 10,
				file: 'docs-guide/snippet-2.ts',
				code: "import { a } from './adapter.js'",
				run: false,
				why: 'needs a terminal, really',
			},
			{
				doc: 'docs/guide.md',
				line: 13,
				file: 'docs-guide/snippet-3.ts',
				code: '',
				run: true,
				why: undefined,
			},
		])
	})

	it('refuses an unclosed block and TypeScript under another name, so none is skipped unseen', () => {
		expect(() => extractSnippets('```ts\nconst a = 1\n', 'a.md')).toThrow(/a\.md:1: unclosed code block/)
		expect(() => extractSnippets('```typescript\nconst a = 1\n```', 'a.md')).toThrow(
			/write TypeScript snippets as/,
		)
		expect(() => extractSnippets('```js\nconst a = 1\n```', 'a.md')).toThrow(/a\.md:1/)
	})
})
