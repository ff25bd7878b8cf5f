import { randomBytes } from 'node:crypto'

/**
 * A name no other test run uses at the same time, valid as a PostgreSQL identifier and a Redis
 * key part: `prefix` plus the process id and random letters, lowercase.
 * @example const schema = uniqueName('kw_test') // 'kw_test_4711_q3x9t2'
 */
export function uniqueName(prefix: string): string {
	const suffix = randomBytes(6)
		.toString('base64url')
		.toLowerCase()
		.replace(/[^a-z0-9]/g, 'x')
	return `${prefix}_${process.pid}_${suffix}`
}
