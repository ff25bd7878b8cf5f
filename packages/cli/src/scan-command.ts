import { isKeywardError, type Keyward } from '@keyward/core'
import type { Output } from './commands.js'
import { keyStatus, printable } from './format.js'
import { type Finding, type ScanSource, scanPaths } from './scan-files.js'
import { keyMatcher } from './scan-text.js'

/** Options of `keyward scan`, as parsed. */
export interface ScanOptions {
	/** Key prefixes to look for. */
	prefix?: string[] | undefined
	/** Look each key up in the database. */
	check?: boolean | undefined
}

/** What `--check` says of a key. */
export type LeakStatus = 'live' | 'revoked' | 'expired' | 'unknown'

/** A finding as printed: never the key. */
interface Report {
	path: string
	line: number
	column: number
	/** Prefix, environment and the first 4 characters of the body: enough to tell keys apart. */
	key: string
	prefix: string
	environment: string | null
	status?: LeakStatus | undefined
	keyId?: string | undefined
	owner?: string | undefined
}

/** Exit status: keys found. */
const FOUND = 1
/** Exit status: a path could not be read, so the scan is incomplete. */
const INCOMPLETE = 2

/** `kw_live_AbCd…`: the prefix, the environment and 4 of the 36 body characters. */
export function redactedKey(hit: Pick<Finding, 'key' | 'prefix' | 'environment'>): string {
	const head = hit.environment === null ? `${hit.prefix}_` : `${hit.prefix}_${hit.environment}_`
	return `${head}${hit.key.slice(head.length, head.length + 4)}…`
}

/** What the database says of each distinct key found. */
async function lookUp(keyward: Keyward, findings: readonly Finding[], nowMs: number) {
	const known = new Map<string, Pick<Report, 'status' | 'keyId' | 'owner'>>()
	for (const { key } of findings) {
		if (known.has(key)) continue
		try {
			const info = await keyward.getKey(key)
			const state = keyStatus(info, nowMs)
			known.set(key, { status: state === 'active' ? 'live' : state, keyId: info.id, owner: info.owner })
		} catch (error) {
			// Keys of another prefix, with another pepper, deleted or never issued here.
			if (!isKeywardError(error, 'key_not_found')) throw error
			known.set(key, { status: 'unknown' })
		}
	}
	return known
}

function line(report: Report): string {
	const where = `${printable(report.path)}:${report.line}:${report.column}: ${report.key}(redacted)`
	if (report.status === undefined) return where
	if (report.keyId === undefined) return `${where} ${report.status}`
	return `${where} ${report.status}: key ${report.keyId} of ${printable(report.owner ?? '')}`
}

/**
 * `keyward scan`: print each checksum-valid key in `paths` as `path:line:column: kw_AbCd…(redacted)`
 * (with `--check`, and a `keyward`, whether it is live, revoked, expired or unknown). Resolves to
 * the exit status: 1 when a key was found, else 2 when a path could not be read, else 0.
 */
export async function scanCommand(
	paths: readonly string[],
	prefixes: readonly string[],
	source: ScanSource,
	out: Output,
	keyward?: Keyward,
): Promise<number> {
	const result = await scanPaths(paths.length === 0 ? ['.'] : paths, keyMatcher(prefixes), source)
	const known = keyward === undefined ? undefined : await lookUp(keyward, result.findings, out.nowMs)
	const reports = result.findings.map(
		(finding): Report => ({
			path: finding.path,
			line: finding.line,
			column: finding.column,
			key: redactedKey(finding),
			prefix: finding.prefix,
			environment: finding.environment,
			...known?.get(finding.key),
		}),
	)
	if (out.asJson) {
		const { scanned, binary, unreadable } = result
		out.json({ findings: reports, scanned, skipped: { binary }, unreadable })
	} else for (const report of reports) out.line(line(report))
	if (reports.length > 0) {
		const files = new Set(reports.map((r) => r.path)).size
		const keys = reports.length === 1 ? 'a key' : `${reports.length} keys`
		source.warn(
			`found ${keys} in ${files === 1 ? '1 file' : `${files} files`}: treat ${reports.length === 1 ? 'it' : 'them'} as leaked, revoke and remove ${reports.length === 1 ? 'it' : 'them'}`,
		)
		return FOUND
	}
	return result.unreadable.length > 0 ? INCOMPLETE : 0
}
