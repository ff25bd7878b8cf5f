import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

/** One fenced TypeScript block of a Markdown document. */
export interface Snippet {
	/** The document, relative to the repository root. */
	readonly doc: string
	/** Line of the opening fence in the document (1-based). */
	readonly line: number
	/** Where the snippet is written, relative to the generated `src` directory. */
	readonly file: string
	readonly code: string
	/** `false` when the document says it is only typechecked, with the reason in `why`. */
	readonly run: boolean
	readonly why?: string | undefined
}

/**
 * A comment on the line before a fence annotates it: `<!-- snippet: adapter.ts -->` names the
 * file (so that another snippet can import `./adapter.js`), `<!-- snippet: not run, why -->`
 * leaves it to the typechecker.
 */
const ANNOTATION = /^<!-- snippet: (.+?) -->$/
const FENCE = /^```(\w*)\s*$/
const OTHER_TS = new Set(['typescript', 'tsx', 'js', 'javascript', 'mjs', 'jsx'])

/** The TypeScript snippets of `markdown`; other code languages of the kind are refused, so none is skipped unseen. */
export function extractSnippets(markdown: string, doc: string): Snippet[] {
	const lines = markdown.split('\n')
	const snippets: Snippet[] = []
	const slug = doc.replace(/\.md$/i, '').replace(/[^A-Za-z0-9]+/g, '-')
	for (let i = 0; i < lines.length; i++) {
		const fence = FENCE.exec(lines[i] as string)
		if (fence === null) continue
		const end = lines.findIndex((text, j) => j > i && text.startsWith('```'))
		if (end < 0) throw new Error(`${doc}:${i + 1}: unclosed code block`)
		const language = fence[1] as string
		if (OTHER_TS.has(language)) throw new Error(`${doc}:${i + 1}: write TypeScript snippets as \`\`\`ts`)
		if (language === 'ts') {
			const notes = ANNOTATION.exec(lines[i - 1] ?? '')?.[1]?.split(/,\s*/) ?? []
			const named = notes.find((note) => /^[\w.-]+\.ts$/.test(note))
			const notRun = notes.indexOf('not run')
			snippets.push({
				doc,
				line: i + 1,
				file: `${slug}/${named ?? `snippet-${snippets.length + 1}.ts`}`,
				code: lines.slice(i + 1, end).join('\n'),
				run: notRun < 0,
				why: notRun < 0 ? undefined : notes.slice(notRun + 1).join(', '),
			})
		}
		i = end
	}
	return snippets
}

/** The documents whose snippets must work: every README, SECURITY.md and `docs/*.md`. */
export function documentedFiles(root: string): string[] {
	const found = ['README.md', 'SECURITY.md', 'bench/README.md']
	for (const dir of ['packages', 'examples', 'internal']) {
		for (const name of readdirSync(join(root, dir))) found.push(`${dir}/${name}/README.md`)
	}
	for (const name of readdirSync(join(root, 'docs'))) if (name.endsWith('.md')) found.push(`docs/${name}`)
	return found.filter((file) => {
		try {
			readFileSync(join(root, file))
			return true
		} catch {
			return false
		}
	})
}

/** Every snippet of every documented file, paths relative to `root`. */
export function allSnippets(root: string): Snippet[] {
	return documentedFiles(root).flatMap((file) =>
		extractSnippets(readFileSync(join(root, file), 'utf8'), relative(root, join(root, file))),
	)
}
