import type { LegacyFormatOption } from '@keyward/core/management'
import { InvalidArgumentError } from 'commander'

const NAMED = /^([a-z][a-z0-9-]{0,31})=(.+)$/s
const EXPECTED = 'expected hex or <name>=<regex>, such as dlubal=ak-[A-Za-z0-9_-]{32,64}'

/**
 * A legacy key format as the command line names it: the preset `hex`, or `<name>=<regex>` (the
 * regex is JavaScript syntax without slashes or flags, matched against the whole key). Throws
 * commander's `InvalidArgumentError`; whether the pattern is too broad is for `createKeyward` to say.
 */
export function parseLegacyFormat(spec: string): LegacyFormatOption {
	if (spec === 'hex') return 'hex'
	const named = NAMED.exec(spec)
	if (named === null) throw new InvalidArgumentError(EXPECTED)
	try {
		return { name: named[1] as string, pattern: new RegExp(named[2] as string) }
	} catch {
		throw new InvalidArgumentError(`the regex of "${named[1]}" is not a valid JavaScript regex`)
	}
}

/** `--legacy-format`, repeatable: the formats in order. */
export function collectLegacyFormat(
	value: string,
	previous: LegacyFormatOption[] | undefined,
): LegacyFormatOption[] {
	return [...(previous ?? []), parseLegacyFormat(value)]
}

/** `KEYWARD_LEGACY_FORMATS`: formats separated by spaces (write a space in a regex as `\x20`). */
export function legacyFormatsFromEnv(value: string): LegacyFormatOption[] {
	return value
		.split(/\s+/)
		.filter((spec) => spec !== '')
		.map(parseLegacyFormat)
}
