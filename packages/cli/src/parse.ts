import { SCOPE_PATTERN } from '@keyward/core/adapter'
import { InvalidArgumentError } from 'commander'
import { parseDuration } from './duration.js'

// Parsers for option values. They throw commander's InvalidArgumentError, which becomes a usage
// error (exit status 2) naming the option, before any database is opened.

/** `--scope`, repeatable: collects valid scopes in order, without duplicates. */
export function collectScope(value: string, previous: string[] | undefined): string[] {
	if (!SCOPE_PATTERN.test(value)) {
		throw new InvalidArgumentError(
			'a scope is 1-128 printable characters without spaces, quotes or backslashes',
		)
	}
	const scopes = previous ?? []
	return scopes.includes(value) ? scopes : [...scopes, value]
}

/** `--prefix`, repeatable: key prefixes as keyward accepts them, without duplicates. */
export function collectPrefix(value: string, previous: string[] | undefined): string[] {
	if (!/^[a-z][a-z0-9]{0,15}$/.test(value)) {
		throw new InvalidArgumentError('a key prefix is 1-16 lowercase letters or digits, starting with a letter')
	}
	const prefixes = previous ?? []
	return prefixes.includes(value) ? prefixes : [...prefixes, value]
}

/** A duration (`30d`); with `positive`, zero is refused. */
export function durationArg(positive: boolean): (value: string) => number {
	return (value) => {
		let ms: number
		try {
			ms = parseDuration(value)
		} catch (error) {
			throw new InvalidArgumentError((error as Error).message)
		}
		if (positive && ms === 0) throw new InvalidArgumentError('the duration must be longer than 0s')
		return ms
	}
}

/** A non-negative whole number, such as a quota. */
export function countArg(value: string): number {
	const n = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN
	if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number (0 or more)')
	return n
}

/** A limit from 1 to 1000. */
export function limitArg(value: string): number {
	const n = countArg(value)
	if (n < 1 || n > 1000) throw new InvalidArgumentError('expected a number from 1 to 1000')
	return n
}

/** A number of days of history, from 1 to 366. */
export function daysArg(value: string): number {
	const n = countArg(value)
	if (n < 1 || n > 366) throw new InvalidArgumentError('expected a number of days from 1 to 366')
	return n
}

/** A JSON object for `--metadata`. */
export function metadataArg(value: string): Record<string, unknown> {
	let parsed: unknown
	try {
		parsed = JSON.parse(value)
	} catch {
		throw new InvalidArgumentError('expected a JSON object, such as {"team":"data"}')
	}
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
		throw new InvalidArgumentError('expected a JSON object, such as {"team":"data"}')
	}
	return parsed as Record<string, unknown>
}

/** A non-empty single-line label, such as an owner. */
export function textArg(value: string): string {
	// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
	if (value.trim() === '' || /[\u0000-\u001f\u007f]/.test(value)) {
		throw new InvalidArgumentError('expected non-empty text without control characters')
	}
	return value
}

const POSTGRES_URL = /^postgres(ql)?:\/\//i
const SCHEMA = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/
const TABLE_PREFIX = /^(?:[A-Za-z_][A-Za-z0-9_]{0,39})?$/

/** Checks of the database and key settings, which may come from flags or the environment. */
export const SETTINGS = {
	// `URL.canParse` also refuses what the driver would fail on later, such as a port above 65535.
	url: {
		test: (v: string) => POSTGRES_URL.test(v) && URL.canParse(v),
		expected: 'a postgres:// or postgresql:// URL (with a port from 1 to 65535, if any)',
	},
	schema: { test: (v: string) => SCHEMA.test(v), expected: 'letters, digits and _ (not first a digit)' },
	tablePrefix: {
		test: (v: string) => TABLE_PREFIX.test(v),
		expected: 'up to 40 letters, digits and _ (not first a digit)',
	},
} as const

/** A parser for `--database-url`, `--schema` or `--table-prefix`. */
export function settingArg(name: keyof typeof SETTINGS): (value: string) => string {
	const { test, expected } = SETTINGS[name]
	return (value) => {
		if (!test(value)) throw new InvalidArgumentError(`expected ${expected}`)
		return value
	}
}
