import type { ImportKeyInput } from '@keyward/core/management'

/** Longest line `keyward import` reads; the rest of a longer line is skipped unread into memory. */
export const MAX_LINE_LENGTH = 65_536

/** One line of an import file: its text, or the fact that it was too long to read. */
export type ImportLine =
	| { readonly number: number; readonly text: string }
	| { readonly number: number; readonly tooLong: true }

/**
 * The lines of `source` (chunks of UTF-8 bytes or text), numbered from 1, with `\n` or `\r\n`
 * endings. A line longer than {@link MAX_LINE_LENGTH} is reported as such, and its text is dropped
 * as it arrives, so an endless line costs no more memory than a long one.
 */
export async function* readLines(source: AsyncIterable<Buffer | string>): AsyncGenerator<ImportLine> {
	const decoder = new TextDecoder('utf-8')
	let number = 1
	let partial = ''
	let tooLong = false
	function* complete(pieces: string[]): Generator<ImportLine> {
		for (const piece of pieces) {
			const text = (partial + piece).replace(/\r$/, '')
			yield tooLong || text.length > MAX_LINE_LENGTH ? { number, tooLong: true } : { number, text }
			number++
			partial = ''
			tooLong = false
		}
	}
	for await (const chunk of source) {
		const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
		const pieces = text.split('\n')
		const rest = pieces.pop() as string
		yield* complete(pieces)
		if (tooLong) continue
		partial += rest
		if (partial.length > MAX_LINE_LENGTH) {
			tooLong = true
			partial = ''
		}
	}
	if (!tooLong) partial += decoder.decode()
	if (tooLong || partial !== '') yield* complete([''])
}

/** The fields a line may have: those of `importKey`. */
const FIELDS = [
	'key',
	'sha256',
	'hint',
	'owner',
	'name',
	'note',
	'scopes',
	'expiresAt',
	'monthlyQuota',
	'metadata',
] as const
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/

/** A line that cannot be imported; its message is fixed text or names a field, never a value. */
export class LineError extends Error {
	override readonly name = 'LineError'
}

/**
 * The `importKey` input a line holds: a JSON object with `key` or `sha256` (and `hint`), `owner`
 * (else `defaultOwner`), `name`, `note`, `scopes`, `expiresAt` (an ISO 8601 date, or null),
 * `monthlyQuota` and `metadata`. Values are checked by `importKey`; this checks the shape.
 */
export function parseImportLine(text: string, defaultOwner: string | undefined): ImportKeyInput {
	let parsed: unknown
	try {
		parsed = JSON.parse(text)
	} catch {
		// The parser's own message quotes the text, which may hold a key.
		throw new LineError('not valid JSON')
	}
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
		throw new LineError('not a JSON object')
	}
	const fields = parsed as Record<string, unknown>
	for (const name of Object.keys(fields)) {
		if ((FIELDS as readonly string[]).includes(name)) continue
		// A field name is repeated only when it looks like one: a key pasted as a name stays unsaid.
		const named = FIELD_NAME.test(name) ? `"${name}"` : 'name'
		throw new LineError(`unknown field ${named} (fields: ${FIELDS.join(', ')})`)
	}
	const { expiresAt } = fields
	let expiry: Date | null | undefined
	if (expiresAt === undefined || expiresAt === null) expiry = expiresAt
	else if (typeof expiresAt === 'string' && ISO_DATE.test(expiresAt) && !Number.isNaN(Date.parse(expiresAt)))
		expiry = new Date(expiresAt)
	else throw new LineError('expiresAt must be an ISO 8601 date, such as 2027-01-31T00:00:00Z, or null')
	const owner = fields.owner ?? defaultOwner
	return { ...fields, owner: owner as string, expiresAt: expiry } as ImportKeyInput
}
