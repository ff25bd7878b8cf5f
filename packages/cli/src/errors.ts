/** A problem the user can fix (an unknown id, an unreachable database): exit status 1, one line. */
export class UserError extends Error {
	override readonly name = 'UserError'
}

/** A malformed command line (an unknown flag, a bad option value): exit status 2. */
export class UsageError extends Error {
	override readonly name = 'UsageError'
}
