import { mkdtemp, readdir, rmdir, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { createKeyward, type Keyward } from '@keyward/core'
import type { AuditEntry, AuditQuery } from '@keyward/core/management'
import { openPostgresStore } from '@keyward/postgres'
import { UserError } from './errors.js'

/** Where the keys live and how keys are made, from flags and environment. */
export interface DatabaseLocation {
	/** `postgres://` URL; when absent, an embedded PGlite database in `dataDir`. */
	url?: string | undefined
	/** Absolute PGlite data directory (or `memory://`). */
	dataDir: string
	schema?: string | undefined
	tablePrefix?: string | undefined
	/** Key prefix, environment and pepper: they must match the application's keyward. */
	keyPrefix?: string | undefined
	environment?: string | undefined
	pepper?: string | undefined
}

/** The audit trail as the CLI reads it; the store writes it with each change. */
export interface AuditLog {
	list(query?: Readonly<AuditQuery>): Promise<AuditEntry[]>
}

/** An open database: a keyward over it, its audit trail, and how to close both. */
export interface OpenDatabase {
	keyward: Keyward
	audit: AuditLog
	close(): Promise<void>
}

/** Opens a database; tests substitute one over a `MemoryStore`. */
export type OpenDatabaseFn = (location: Readonly<DatabaseLocation>) => Promise<OpenDatabase>

function reason(error: unknown): string {
	const code = (error as { code?: unknown } | null)?.code
	if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return 'permission denied'
	if (code === 'ENOTDIR') return 'a file is in the way'
	if (code === 'ENOENT') return 'no such file or directory'
	const message = error instanceof Error ? error.message : String(error)
	return message.split('\n')[0] ?? 'unknown error'
}

/** `url` without its password, for messages. */
export function hidePassword(url: string): string {
	try {
		const parsed = new URL(url)
		if (parsed.password !== '') parsed.password = '***'
		return parsed.toString()
	} catch {
		return 'the given URL'
	}
}

async function isDatabaseOrEmpty(dir: string): Promise<boolean> {
	const names = await readdir(dir)
	return names.length === 0 || names.includes('PG_VERSION')
}

/**
 * Fail early, with a clear message and before anything is created, when `dir` cannot hold a
 * database: it, or its nearest existing ancestor, must be a directory this process can create
 * files in (tried for real, since permission bits do not tell for root or read-only mounts).
 */
export async function checkWritableDirectory(dir: string): Promise<void> {
	let at = dir
	for (;;) {
		let info: Awaited<ReturnType<typeof stat>>
		try {
			info = await stat(at)
		} catch (error) {
			const code = (error as { code?: unknown }).code
			// Missing, or under a file: look at the parent, to name what is in the way.
			if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(at) !== at) {
				at = dirname(at)
				continue
			}
			throw new UserError(`cannot use the database directory ${dir}: ${reason(error)}`)
		}
		if (!info.isDirectory()) {
			throw new UserError(
				at === dir
					? `cannot use the database directory ${dir}: it is not a directory`
					: `cannot create the database directory ${dir}: ${at} is not a directory`,
			)
		}
		// A non-empty directory without PG_VERSION is someone else's: never initialise a database there.
		if (at === dir && !(await isDatabaseOrEmpty(dir))) {
			throw new UserError(`cannot use ${dir} for the database: it holds other files and no database`)
		}
		try {
			await rmdir(await mkdtemp(join(at, '.keyward-probe-')))
		} catch (error) {
			throw new UserError(
				`cannot use the database directory ${dir}: ${at} is not writable (${reason(error)})`,
			)
		}
		return
	}
}

/** Open the store (migrating it, audit table included) and a keyward over it. */
export async function openDatabase(location: Readonly<DatabaseLocation>): Promise<OpenDatabase> {
	const tables = { schema: location.schema, tablePrefix: location.tablePrefix }
	const where =
		location.url === undefined
			? `the database in ${location.dataDir}`
			: `the database at ${hidePassword(location.url)}`
	const inMemory = location.dataDir.startsWith('memory://')
	if (location.url === undefined && !inMemory) await checkWritableDirectory(resolve(location.dataDir))
	let store: Awaited<ReturnType<typeof openPostgresStore>>
	try {
		store = await openPostgresStore({
			...tables,
			url: location.url,
			dataDir: location.dataDir,
			connectTimeoutMs: 5000,
			poolSize: 2,
		})
	} catch (error) {
		throw new UserError(`cannot open ${where}: ${reason(error)}`)
	}
	const audit: AuditLog = { list: (query) => store.listAudit(query) }
	const keyward = createKeyward({
		store,
		prefix: location.keyPrefix,
		environment: location.environment,
		pepper: location.pepper,
		// One-shot commands: read the store every time, write nothing on verification, and read usage
		// history without recording or pruning any (retention is the application's to enforce).
		cache: false,
		lastUsed: false,
		history: false,
	})
	return { keyward, audit, close: () => keyward.close() }
}
