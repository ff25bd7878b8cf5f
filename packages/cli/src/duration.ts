const UNITS = [
	['w', 604_800_000],
	['d', 86_400_000],
	['h', 3_600_000],
	['m', 60_000],
	['s', 1000],
	['ms', 1],
] as const

const FACTORS: ReadonlyMap<string, number> = new Map(UNITS)

/** Longest duration accepted: 100 years of 365.25 days. */
export const MAX_DURATION_MS = 3_155_760_000_000

const SHAPE = /^(?:\d{1,16}(?:ms|s|m|h|d|w))+$/
const PART = /(\d+)(ms|s|m|h|d|w)/g

/**
 * Parse a duration such as `600s`, `30d`, `24h` or `1d12h` into milliseconds. Units: `ms`, `s`,
 * `m`, `h`, `d` (24 h) and `w`. Throws a `RangeError` with a one-line message for anything else,
 * including bare numbers (`600`: seconds or days?) and durations over {@link MAX_DURATION_MS}.
 * @example parseDuration('30d') // 2_592_000_000
 */
export function parseDuration(text: string): number {
	if (typeof text !== 'string' || text.length > 64 || !SHAPE.test(text)) {
		throw new RangeError('expected a duration such as 600s, 15m, 24h, 30d or 1d12h')
	}
	let total = 0
	for (const [, amount, unit] of text.matchAll(PART)) {
		total += Number(amount) * (FACTORS.get(unit as string) as number)
		if (total > MAX_DURATION_MS) throw new RangeError('durations are limited to 100 years')
	}
	return total
}

/**
 * Exact, compact text of a duration in milliseconds: `30d`, `1d12h`, `1m30s`, `0s`. The inverse
 * of {@link parseDuration} for every whole number of milliseconds it accepts.
 * @example formatDuration(129_600_000) // '1d12h'
 */
export function formatDuration(ms: number): string {
	if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError('expected a non-negative whole number of ms')
	if (ms === 0) return '0s'
	let rest = ms
	let out = ''
	for (const [unit, factor] of UNITS) {
		// Weeks are read but not written: `30d` reads better than `4w2d`.
		if (unit === 'w') continue
		const amount = Math.floor(rest / factor)
		if (amount === 0) continue
		out += `${amount}${unit}`
		rest -= amount * factor
	}
	return out
}
