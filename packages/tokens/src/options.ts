import { KeywardError } from '@keyward/core'

/** Throw `KeywardError('invalid_option')`; options are checked when a factory runs, not per request. */
export function fail(message: string): never {
	throw new KeywardError('invalid_option', message)
}

function editDistance(a: string, b: string): number {
	let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
	for (let i = 1; i <= a.length; i++) {
		const current = [i]
		for (let j = 1; j <= b.length; j++) {
			const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1)
			current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution)
		}
		previous = current
	}
	return previous[b.length] as number
}

/** Refuse a non-object and any option not in `known`, suggesting the closest known name. */
export function checkOptionNames(options: unknown, known: readonly string[], where: string): void {
	if (typeof options !== 'object' || options === null) fail(`${where} expects an options object`)
	for (const name of Object.keys(options)) {
		if (known.includes(name)) continue
		let best: string | undefined
		let bestDistance = 4
		for (const candidate of known) {
			const d = editDistance(name.toLowerCase(), candidate.toLowerCase())
			if (d < bestDistance) {
				best = candidate
				bestDistance = d
			}
		}
		fail(`Unknown option "${name}" in ${where}${best === undefined ? '' : ` (did you mean "${best}"?)`}`)
	}
}

/** A non-empty single-line string, or throw. */
export function checkText(value: unknown, name: string): string {
	if (typeof value !== 'string' || value.length === 0 || /[\r\n]/.test(value)) {
		fail(`${name} must be a non-empty single-line string`)
	}
	return value
}

/** A string or a non-empty list of strings (an `aud` value), or throw. */
export function checkAudience(value: unknown, name: string): string | readonly string[] {
	if (Array.isArray(value)) {
		if (value.length === 0) fail(`${name} must not be an empty list`)
		for (const item of value) checkText(item, name)
		return Object.freeze([...(value as string[])])
	}
	return checkText(value, name)
}

/** An integer (milliseconds, seconds or bytes, as `name` says) in `[min, max]`, or `fallback` when absent. */
export function checkInteger(
	value: unknown,
	name: string,
	fallback: number,
	min: number,
	max: number,
): number {
	if (value === undefined) return fallback
	if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
		fail(`${name} must be an integer from ${min} to ${max}`)
	}
	return value
}

/** A clock function, or `Date.now`. */
export function checkNow(value: unknown): () => number {
	if (value === undefined) return () => Date.now()
	if (typeof value !== 'function') fail('now must be a function returning epoch milliseconds')
	return value as () => number
}
