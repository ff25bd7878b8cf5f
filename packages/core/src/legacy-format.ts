import { KeywardError } from './errors.js'
import { generateKey } from './key-format.js'
import { LEGACY_HINT_LENGTH, legacyKeyHint } from './key-hint.js'

/**
 * A key format of another system, whose keys a keyward accepts once they are imported
 * (`keyward.importKey`), so that keys already in the field keep working without being reissued.
 * @example { name: 'dlubal', pattern: /ak-[A-Za-z0-9_-]{32,64}/ }
 */
export interface LegacyFormat {
	/** A short name for messages and import reports: lowercase letters, digits and `-`, at most 32. */
	name: string
	/**
	 * What a whole key of this format looks like. It is anchored for you (`^(?:...)$`): it must match
	 * the whole key, never a part. Flags `g` and `y` are refused (they make `test` stateful). It must
	 * not match the empty string, keyward keys, or arbitrary text.
	 */
	pattern: RegExp
	/** Characters shown as the key's hint; never more than a quarter of the key. @defaultValue 8 */
	hintLength?: number | undefined
}

/**
 * An entry of `legacyFormats`: a {@link LegacyFormat}, a bare `RegExp` (named `legacy-1`,
 * `legacy-2`... by position), or the preset `'hex'`: 32 to 128 lowercase hexadecimal characters,
 * as Python's `secrets.token_hex(n)` makes them (Tiled's keys are `token_hex(32)`, 64 characters).
 */
export type LegacyFormatOption = 'hex' | RegExp | LegacyFormat

/** Shortest key of a legacy format keyward accepts: anything shorter is too short to be secret. */
export const MIN_LEGACY_KEY_LENGTH = 16
/** Longest key of a legacy format keyward looks at; longer text is refused before any pattern runs. */
export const MAX_LEGACY_KEY_LENGTH = 256

const PRESETS: Readonly<Record<string, LegacyFormat>> = {
	hex: { name: 'hex', pattern: /[0-9a-f]{32,128}/ },
}
const NAME = /^[a-z][a-z0-9-]{0,31}$/
/** Names import reports use for keyward keys and hash imports. */
const RESERVED = new Set(['keyward', 'sha256'])
const PRINTABLE = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join('')

/** A configured legacy format, checked and anchored. */
export interface ResolvedLegacyFormat {
	readonly name: string
	/** The format's pattern, anchored to the whole key. */
	readonly whole: RegExp
	readonly hintLength: number
}

/** The legacy formats of a keyward. */
export interface LegacyFormats {
	/** The format `text` is a key of, or `undefined`: wrong length, characters or shape. */
	match(text: string): ResolvedLegacyFormat | undefined
	/** The hint of a key of `format`. */
	hint(key: string, format: ResolvedLegacyFormat): string
}

function fail(message: string): never {
	throw new KeywardError('invalid_option', `legacyFormats: ${message}`)
}

function resolveOne(entry: unknown, index: number): ResolvedLegacyFormat {
	let format: LegacyFormat
	if (typeof entry === 'string') {
		const preset = PRESETS[entry]
		if (preset === undefined) fail(`unknown preset "${entry.slice(0, 32)}" (the preset is "hex")`)
		format = preset
	} else if (entry instanceof RegExp) {
		format = { name: `legacy-${index + 1}`, pattern: entry }
	} else if (typeof entry === 'object' && entry !== null) {
		for (const field of Object.keys(entry)) {
			if (field !== 'name' && field !== 'pattern' && field !== 'hintLength') {
				fail(`unknown field "${field.slice(0, 32)}" (a format has name, pattern and hintLength)`)
			}
		}
		format = entry as LegacyFormat
	} else {
		fail('each entry is "hex", a RegExp or { name, pattern, hintLength }')
	}
	const { name, pattern, hintLength = LEGACY_HINT_LENGTH } = format
	if (typeof name !== 'string' || !NAME.test(name)) {
		fail('a format name is 1-32 lowercase letters, digits or -, starting with a letter')
	}
	if (RESERVED.has(name)) fail(`the name "${name}" is reserved`)
	if (!(pattern instanceof RegExp)) fail(`format "${name}" needs a RegExp pattern`)
	if (pattern.global || pattern.sticky) fail(`the pattern of "${name}" must not have the g or y flag`)
	if (!Number.isSafeInteger(hintLength) || hintLength < 1 || hintLength > 16) {
		fail(`hintLength of "${name}" must be an integer from 1 to 16`)
	}
	return { name, whole: new RegExp(`^(?:${pattern.source})$`, pattern.flags), hintLength }
}

/** Refuse a format that would let typos, keyward keys or any text through to the store. */
function checkNotTooBroad(format: ResolvedLegacyFormat, prefix: string, environment: string | null): void {
	const { name, whole } = format
	if (whole.test('')) fail(`the pattern of "${name}" matches the empty string`)
	for (const text of [
		PRINTABLE,
		PRINTABLE.slice(0, 64),
		PRINTABLE.slice(10, 42),
		`${PRINTABLE} ${PRINTABLE}`,
	]) {
		if (whole.test(text)) fail(`the pattern of "${name}" matches arbitrary text`)
	}
	for (const env of new Set([environment, null, 'live', 'test'])) {
		for (let i = 0; i < 4; i++) {
			const key = generateKey(prefix, env)
			// A keyward key with a wrong checksum must stay malformed, not reach the store.
			const broken = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`
			if (whole.test(key) || whole.test(broken)) fail(`the pattern of "${name}" matches keyward keys`)
		}
	}
}

/**
 * Check the `legacyFormats` option at start-up (`KeywardError('invalid_option')`) and build the
 * matcher; `undefined` when no format is configured.
 */
export function resolveLegacyFormats(
	option: unknown,
	prefix: string,
	environment: string | null,
): LegacyFormats | undefined {
	if (option === undefined) return undefined
	if (!Array.isArray(option)) fail('expected an array of formats')
	if (option.length > 16) fail('at most 16 formats')
	const formats = option.map(resolveOne)
	const names = new Set<string>()
	for (const format of formats) {
		if (names.has(format.name)) fail(`the name "${format.name}" is used twice`)
		names.add(format.name)
		checkNotTooBroad(format, prefix, environment)
	}
	if (formats.length === 0) return undefined
	return {
		match(text) {
			if (text.length < MIN_LEGACY_KEY_LENGTH || text.length > MAX_LEGACY_KEY_LENGTH) return undefined
			for (let i = 0; i < text.length; i++) {
				const code = text.charCodeAt(i)
				if (code < 0x21 || code > 0x7e) return undefined
			}
			for (const format of formats) if (format.whole.test(text)) return format
			return undefined
		},
		hint: (key, format) => legacyKeyHint(key, format.hintLength),
	}
}
