import { StringDecoder } from 'node:string_decoder'
import { keyPattern, parseKey } from '@keyward/core'

/** A checksum-valid key found in a text, at a 1-based line and column (UTF-16 code units). */
export interface KeyHit {
	readonly line: number
	readonly column: number
	/** The full key: kept in memory to look it up, never printed. */
	readonly key: string
	readonly prefix: string
	readonly environment: string | null
}

/** What to look for: keys of these prefixes. */
export interface KeyMatcher {
	/** Every prefix's `keyPattern`, as one global regex. */
	readonly pattern: RegExp
	/** Length of the longest text the pattern can match. */
	readonly longest: number
}

/** A NUL byte in this many leading bytes marks a binary file, which is skipped. */
export const SNIFF_BYTES = 8192
/** Longest environment marker and body of a key, with their separators. */
const AFTER_PREFIX = 1 + 16 + 1 + 36

/** A matcher for keys of `prefixes` (each checked by the caller: lowercase letters and digits). */
export function keyMatcher(prefixes: readonly string[]): KeyMatcher {
	const sources = prefixes.map((prefix) => keyPattern(prefix).source)
	return {
		pattern: new RegExp(sources.join('|'), 'g'),
		longest: Math.max(...prefixes.map((prefix) => prefix.length)) + AFTER_PREFIX,
	}
}

/**
 * Finds keys in a text that arrives in pieces, holding only the current piece and a short tail:
 * a match is decided once the character after its longest possible end has arrived, so a key
 * split between two pieces is found once, and a line of any length costs no more memory.
 */
function createTextScanner({ pattern, longest }: KeyMatcher) {
	const hits: KeyHit[] = []
	/** Text not decided yet; its first character is only context (the one before) when `context`. */
	let carry = ''
	let context = false
	/** Offset of `carry[0]` in the whole text. */
	let base = 0
	/** Line number at offset `counted`, and the offset where that line starts. */
	let line = 1
	let lineStart = 0
	let counted = 0

	function countTo(text: string, offset: number): void {
		for (let i = counted - base; i < offset - base; i++) {
			if (text.charCodeAt(i) === 10) {
				line++
				lineStart = base + i + 1
			}
		}
		counted = offset
	}

	function push(piece: string, final: boolean): void {
		const text = carry + piece
		const start = context ? 1 : 0
		// Matches starting before `decided` end, with the character after them, inside `text`.
		const decided = final ? text.length : text.length - longest
		if (decided <= start) {
			carry = text
			return
		}
		pattern.lastIndex = start
		for (
			let match = pattern.exec(text);
			match !== null && match.index < decided;
			match = pattern.exec(text)
		) {
			const key = match[0]
			const prefix = key.slice(0, key.indexOf('_'))
			// The checksum tells a key from text that only looks like one.
			const parsed = parseKey(key, prefix)
			if (parsed === null) continue
			countTo(text, base + match.index)
			const column = base + match.index - lineStart + 1
			hits.push({ line, column, key, prefix, environment: parsed.environment })
		}
		if (final) return
		const keep = decided - 1
		countTo(text, base + keep)
		carry = text.slice(keep)
		base += keep
		context = true
	}

	return { hits, push }
}

/**
 * The checksum-valid keys in `source` (a file or standard input), or `'binary'` when a NUL byte
 * is among its first {@link SNIFF_BYTES} bytes. Reads the stream once, piece by piece.
 */
export async function scanStream(
	source: AsyncIterable<Buffer | string>,
	matcher: KeyMatcher,
): Promise<KeyHit[] | 'binary'> {
	const decoder = new StringDecoder('utf8')
	const scanner = createTextScanner(matcher)
	let head: Buffer[] | undefined = []
	let headBytes = 0
	for await (const chunk of source) {
		const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
		if (head === undefined) {
			scanner.push(decoder.write(bytes), false)
			continue
		}
		head.push(bytes)
		headBytes += bytes.length
		if (headBytes < SNIFF_BYTES) continue
		const first = Buffer.concat(head)
		head = undefined
		// Leaving the loop closes the stream: nothing more of a binary file is read.
		if (first.subarray(0, SNIFF_BYTES).includes(0)) return 'binary'
		scanner.push(decoder.write(first), false)
	}
	if (head !== undefined) {
		const all = Buffer.concat(head)
		if (all.includes(0)) return 'binary'
		scanner.push(decoder.write(all), false)
	}
	scanner.push(decoder.end(), true)
	return scanner.hits
}
