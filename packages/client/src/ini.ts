/**
 * A small INI dialect for credentials files, in the spirit of `~/.aws/credentials`:
 * `[section]` headers, `key = value` entries, `#` and `;` comment lines. Reading never throws:
 * lines that fit no rule are ignored. Editing changes only the lines it must, so comments and
 * unrelated entries written by hand survive.
 */

/** Sections by name, entries by key. The last occurrence of a key wins. */
export type IniSections = Map<string, Map<string, string>>

interface Line {
	text: string
	/** Line break after the line: `''` for the last line. */
	eol: string
}

type Token =
	| { kind: 'blank' | 'comment' | 'other' }
	| { kind: 'header'; name: string | null }
	| { kind: 'entry'; section: string | null; key: string; value: string }

function splitLines(text: string): Line[] {
	const parts = text.split(/(\r\n|\n|\r)/)
	const lines: Line[] = []
	for (let i = 0; i < parts.length; i += 2) lines.push({ text: parts[i] ?? '', eol: parts[i + 1] ?? '' })
	return lines
}

function tokenize(lines: readonly Line[]): Token[] {
	let section: string | null = null
	return lines.map((line, index): Token => {
		const raw = index === 0 && line.text.startsWith('\uFEFF') ? line.text.slice(1) : line.text
		const text = raw.trim()
		if (text === '') return { kind: 'blank' }
		if (text.startsWith('#') || text.startsWith(';')) return { kind: 'comment' }
		if (text.startsWith('[')) {
			// A broken header ends the previous section, so its entries are not misfiled.
			section = text.endsWith(']') && text.length >= 2 ? text.slice(1, -1).trim() : null
			return { kind: 'header', name: section }
		}
		const eq = text.indexOf('=')
		if (eq <= 0) return { kind: 'other' }
		const key = text.slice(0, eq).trim()
		if (key === '') return { kind: 'other' }
		return { kind: 'entry', section, key, value: text.slice(eq + 1).trim() }
	})
}

/**
 * Reads INI text into sections. Never throws; entries outside a section and unparseable lines
 * are ignored.
 * @example parseIni('[default]\napi_key = kw_123').get('default')?.get('api_key')
 */
export function parseIni(text: string): IniSections {
	const sections: IniSections = new Map()
	for (const token of tokenize(splitLines(String(text)))) {
		if (token.kind === 'header' && token.name !== null && !sections.has(token.name)) {
			sections.set(token.name, new Map())
		} else if (token.kind === 'entry' && token.section !== null) {
			sections.get(token.section)?.set(token.key, token.value)
		}
	}
	return sections
}

/** `true` when `name` can be written as a section name and read back unchanged. */
export function isIniSectionName(name: string): boolean {
	return name !== '' && name === name.trim() && !/[\r\n]/.test(name)
}

/** `true` when `key` can be written as an entry key and read back unchanged. */
export function isIniKey(key: string): boolean {
	return key !== '' && key === key.trim() && !/[\r\n=]/.test(key) && !/^[[#;]/.test(key)
}

/** `true` when `value` can be written as an entry value and read back unchanged. */
export function isIniValue(value: string): boolean {
	return value === value.trim() && !/[\r\n]/.test(value)
}

function check(section: string, key?: string, value?: string): void {
	if (!isIniSectionName(section)) throw new RangeError('invalid INI section name')
	if (key !== undefined && !isIniKey(key)) throw new RangeError('invalid INI key')
	if (value !== undefined && !isIniValue(value)) throw new RangeError('invalid INI value')
}

/**
 * Writes sections as INI text, a blank line between sections. Throws `RangeError` for names,
 * keys or values that would not read back unchanged.
 */
export function formatIni(sections: IniSections): string {
	const blocks: string[] = []
	for (const [name, entries] of sections) {
		check(name)
		const lines = [`[${name}]`]
		for (const [key, value] of entries) {
			check(name, key, value)
			lines.push(`${key} = ${value}`)
		}
		blocks.push(`${lines.join('\n')}\n`)
	}
	return blocks.join('\n')
}

function join(lines: readonly Line[]): string {
	return lines.map((line) => line.text + line.eol).join('')
}

function lineBreakOf(lines: readonly Line[]): string {
	return lines.find((line) => line.eol !== '')?.eol ?? '\n'
}

/**
 * Returns `text` with `key = value` set in `section`: the effective entry is replaced in place,
 * a new entry goes after the last entry of the section, a new section is appended.
 * Every other section and entry reads back as before.
 */
export function setIniValue(text: string, section: string, key: string, value: string): string {
	check(section, key, value)
	const lines = splitLines(text)
	const tokens = tokenize(lines)
	const eol = lineBreakOf(lines)
	const entry = `${key} = ${value}`
	let header = -1
	for (let i = tokens.length - 1; i >= 0; i--) {
		const token = tokens[i]
		if (token?.kind === 'entry' && token.section === section && token.key === key) {
			lines[i] = { text: entry, eol: lines[i]?.eol ?? '' }
			return join(lines)
		}
		if (header === -1 && token?.kind === 'header' && token.name === section) header = i
	}
	if (header !== -1) {
		let at = header
		for (let i = header + 1; i < tokens.length && tokens[i]?.kind !== 'header'; i++) {
			if (tokens[i]?.kind === 'entry') at = i
		}
		const before = lines[at] as Line
		lines.splice(at + 1, 0, { text: entry, eol: before.eol === '' ? '' : eol })
		if (before.eol === '') before.eol = eol
		return join(lines)
	}
	let out = text
	if (out !== '' && !/[\r\n]$/.test(out)) out += eol
	if (/\S/.test(out)) out += eol
	return `${out}[${section}]${eol}${entry}${eol}`
}

/**
 * Returns `text` without `section`: each of its headers and the lines up to the section's last
 * entry go; comments and blank lines after that stay with whatever follows.
 */
export function removeIniSection(text: string, section: string): string {
	const lines = splitLines(text)
	const tokens = tokenize(lines)
	const drop = new Set<number>()
	for (let i = 0; i < tokens.length; i++) {
		const token = tokens[i]
		if (token?.kind !== 'header' || token.name !== section) continue
		let end = i
		let j = i + 1
		for (; j < tokens.length && tokens[j]?.kind !== 'header'; j++) {
			if (tokens[j]?.kind === 'entry') end = j
		}
		for (let k = i; k <= end; k++) drop.add(k)
		i = j - 1
	}
	if (drop.size === 0) return text
	return join(lines.filter((_, i) => !drop.has(i)))
}
