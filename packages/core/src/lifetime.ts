import { KeywardError } from './errors.js'

/** Key lifetime policy for `createKey` and `rotateKey`. */
export interface LifetimePolicy {
	/** Lifetime of keys created without `expiresAt` / `expiresIn`. @defaultValue none: such keys never expire */
	defaultMs?: number | undefined
	/** Longest lifetime allowed; keys that never expire are refused. @defaultValue no limit */
	maxMs?: number | undefined
}

/** Past 8.64e15 ms a `Date` is invalid, which would read as "never expires". */
const LAST_INSTANT = 8.64e15

function invalid(message: string): never {
	throw new KeywardError('invalid_argument', message)
}

/**
 * The expiry of a key created at `nowMs` with `expiresAt` or `expiresIn` (at most one of them),
 * under `policy`; `null` is never. Throws `invalid_argument` with a fixed message.
 */
export function expiryFrom(
	policy: Readonly<LifetimePolicy>,
	expiresAt: unknown,
	expiresIn: unknown,
	nowMs: number,
): Date | null {
	if (expiresAt !== undefined && expiresIn !== undefined) invalid('Give expiresAt or expiresIn, not both')
	let at: number | null
	if (expiresIn !== undefined) {
		if (
			typeof expiresIn !== 'number' ||
			!Number.isFinite(expiresIn) ||
			expiresIn <= 0 ||
			nowMs + expiresIn > LAST_INSTANT
		) {
			invalid('expiresIn must be a positive number of milliseconds')
		}
		at = nowMs + expiresIn
	} else if (expiresAt === undefined) {
		at = policy.defaultMs === undefined ? null : nowMs + policy.defaultMs
	} else if (expiresAt === null) {
		at = null
	} else if (expiresAt instanceof Date && !Number.isNaN(expiresAt.getTime())) {
		at = expiresAt.getTime()
		if (at <= nowMs) invalid('expiresAt must be in the future')
	} else {
		invalid('expiresAt must be a valid Date or null')
	}
	if (policy.maxMs !== undefined && (at === null || at > nowMs + policy.maxMs)) {
		invalid('Requested lifetime exceeds the maximum key lifetime')
	}
	return at === null ? null : new Date(at)
}
