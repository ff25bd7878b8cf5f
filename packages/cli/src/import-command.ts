import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { resolve } from 'node:path'
import { isKeywardError, type Keyward } from '@keyward/core'
import type { ImportKeyInput } from '@keyward/core/management'
import type { Output } from './commands.js'
import { UserError } from './errors.js'
import { printable } from './format.js'
import { LineError, MAX_LINE_LENGTH, parseImportLine, readLines } from './import-lines.js'

/** Options of `keyward import`, as parsed. */
export interface ImportOptions {
	/** Owner of lines that name none. */
	owner?: string | undefined
	/** Check every line and store nothing. */
	dryRun?: boolean | undefined
	/** A key already stored is reported as skipped rather than refused (for re-runs). */
	skipExisting?: boolean | undefined
}

/** What `keyward import` reads: a file, or standard input for `-`. */
export interface ImportSource {
	readonly cwd: string
	readonly stdin: AsyncIterable<Buffer | string>
}

/** What happened to one line; never holds key text or a hash. */
type LineOutcome =
	| {
			line: number
			status: 'imported'
			id: string | null
			owner: string
			format: string
			hint: string | null
	  }
	| { line: number; status: 'skipped'; reason: string }
	| { line: number; status: 'refused'; code: string; reason: string }

/** The same key twice in one file is caught before the store is asked, so a dry run sees it too. */
function identity(input: ImportKeyInput): string | undefined {
	if (typeof input.key === 'string') return createHash('sha256').update(input.key).digest('hex')
	if (typeof input.sha256 === 'string') return input.sha256.toLowerCase()
	return undefined
}

function refusal(line: number, error: unknown): LineOutcome {
	if (error instanceof LineError)
		return { line, status: 'refused', code: 'invalid_line', reason: error.message }
	// Management errors carry fixed messages: never the key, never the hash.
	if (isKeywardError(error) && error.code !== 'store_unavailable') {
		return { line, status: 'refused', code: error.code, reason: error.message.replace(/\.$/, '') }
	}
	throw error
}

function describe(outcome: LineOutcome, dryRun: boolean): string {
	if (outcome.status === 'refused') return `line ${outcome.line}: refused: ${outcome.reason}`
	if (outcome.status === 'skipped') return `line ${outcome.line}: skipped: ${outcome.reason}`
	const hint = outcome.hint === null ? 'no hint' : `hint ${printable(outcome.hint)}…`
	const verb = dryRun ? 'would import' : 'imported'
	const id = dryRun ? 'a key' : `key ${outcome.id}`
	return `line ${outcome.line}: ${verb} ${id} for ${printable(outcome.owner)} (${outcome.format}, ${hint})`
}

/**
 * `keyward import <file>`: import keys of other systems from JSON lines, one key per line. Goes on
 * past a refused line, reports every line, and fails (exit status 1) when any line was refused.
 */
export async function importCommand(
	keyward: Keyward,
	path: string,
	options: Readonly<ImportOptions>,
	source: ImportSource,
	out: Output,
): Promise<void> {
	const dryRun = options.dryRun === true
	const input = path === '-' ? source.stdin : createReadStream(resolve(source.cwd, path))
	const seen = new Map<string, number>()
	const outcomes: LineOutcome[] = []
	const report = (outcome: LineOutcome) => {
		outcomes.push(outcome)
		if (!out.asJson) out.line(describe(outcome, dryRun))
	}
	try {
		for await (const line of readLines(input)) {
			if ('tooLong' in line) {
				report(refusal(line.number, new LineError(`longer than ${MAX_LINE_LENGTH} characters`)))
				continue
			}
			if (line.text.trim() === '') continue
			report(await importLine(keyward, line.number, line.text, options, seen))
		}
	} catch (error) {
		const code = (error as { code?: unknown } | null)?.code
		if (typeof code === 'string' && code.startsWith('E') && path !== '-') {
			throw new UserError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code}`)
		}
		throw error
	}
	const count = (status: LineOutcome['status']) => outcomes.filter((o) => o.status === status).length
	const [imported, skipped, refused] = [count('imported'), count('skipped'), count('refused')]
	if (out.asJson) out.json({ dryRun, imported, skipped, refused, lines: outcomes })
	else {
		const keys = `${imported} ${imported === 1 ? 'key' : 'keys'}`
		const tail = `${skipped > 0 ? `, ${skipped} skipped` : ''}, ${refused} refused`
		out.line(
			dryRun ? `Dry run: ${keys} would be imported${tail}; nothing was stored.` : `Imported ${keys}${tail}.`,
		)
	}
	if (refused > 0) {
		throw new UserError(
			`${refused} ${refused === 1 ? 'line was' : 'lines were'} refused (see the report above)`,
		)
	}
}

async function importLine(
	keyward: Keyward,
	number: number,
	text: string,
	options: Readonly<ImportOptions>,
	seen: Map<string, number>,
): Promise<LineOutcome> {
	let input: ImportKeyInput
	try {
		input = parseImportLine(text, options.owner)
	} catch (error) {
		return refusal(number, error)
	}
	const id = identity(input)
	const earlier = id === undefined ? undefined : seen.get(id)
	if (earlier !== undefined) {
		return {
			line: number,
			status: 'refused',
			code: 'duplicate_key',
			reason: `the same key as line ${earlier}`,
		}
	}
	try {
		const { info, format } = await keyward.importKey(input, { dryRun: options.dryRun === true })
		if (id !== undefined) seen.set(id, number)
		const shownId = options.dryRun === true ? null : info.id
		return { line: number, status: 'imported', id: shownId, owner: info.owner, format, hint: info.hint }
	} catch (error) {
		if (options.skipExisting === true && isKeywardError(error, 'duplicate_key')) {
			if (id !== undefined) seen.set(id, number)
			return { line: number, status: 'skipped', reason: 'already stored' }
		}
		return refusal(number, error)
	}
}
