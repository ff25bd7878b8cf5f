import { KeywardError } from '@keyward/core'
import { rejectUnknownOptions } from '@keyward/core/adapter'

/** Throw `KeywardError('invalid_option')`; options are checked when a factory runs, not per request. */
export function fail(message: string): never {
	throw new KeywardError('invalid_option', message)
}

/** Refuse a non-object and any option not in `known`, suggesting the closest known name. */
export function checkOptionNames(options: unknown, known: readonly string[], where: string): void {
	if (typeof options !== 'object' || options === null) fail(`${where} expects an options object`)
	rejectUnknownOptions(options, known, where)
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
