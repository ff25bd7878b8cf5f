import { mkdtemp, readdir, rmdir, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { createKeyward, type KeyStore, type Keyward } from '@keyward/core'
import type { AuditEntry, AuditQuery, LegacyFormatOption } from '@keyward/core/management'
import { openPostgresStore, type PostgresStore, SCHEMA_VERSION } from '@keyward/postgres'
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
	/** Key formats of other systems the application accepts (`legacyFormats`). */
	legacyFormats?: readonly LegacyFormatOption[] | undefined
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

/** How a command opens the database. */
export interface OpenDatabaseOptions {
	/**
	 * The command only reads (`list`, `show`, `usage`, `audit`): the database and its tables must
	 * exist already. Nothing is created (no directory, schema or table) and nothing is migrated.
	 */
	readOnly: boolean
}

/** Opens a database; tests substitute one over a `MemoryStore`. */
export type OpenDatabaseFn = (
	location: Readonly<DatabaseLocation>,
	options: Readonly<OpenDatabaseOptions>,
) => Promise<OpenDatabase>

const CREATE_HINT = 'a command that changes keys (such as keyward create) creates'

/** For read-only commands: `dir` must hold a database already; nothing is created to find out. */
async function checkExistingDatabase(dir: string): Promise<void> {
	let names: string[]
	try {
		names = await readdir(dir)
	} catch (error) {
		if ((error as { code?: unknown }).code !== 'ENOENT') {
			throw new UserError(`cannot read the database directory ${dir}: ${reason(error)}`)
		}
		names = []
	}
	if (!names.includes('PG_VERSION')) {
		throw new UserError(
			`no keyward database in ${dir}: ${CREATE_HINT} one, or --data-dir (KEYWARD_DATA_DIR) names an existing one`,
		)
	}
}

/** For read-only commands: the tables must be there, at the version this release reads. */
async function checkTables(store: PostgresStore, where: string, location: Readonly<DatabaseLocation>) {
	let version: number
	try {
		version = await store.schemaVersion()
	} catch (error) {
		throw new UserError(`cannot open ${where}: ${reason(error)}`)
	}
	const tables = `${location.schema === undefined ? '' : `${location.schema}.`}${location.tablePrefix ?? 'keyward_'}*`
	if (version === 0) {
		throw new UserError(
			`no keyward tables (${tables}) in ${where}: ${CREATE_HINT} them, or --schema and --table-prefix name other ones`,
		)
	}
	if (version < SCHEMA_VERSION) {
		throw new UserError(
			`the keyward tables (${tables}) in ${where} are at schema version ${version}; a command that changes keys upgrades them to ${SCHEMA_VERSION}`,
		)
	}
	if (version > SCHEMA_VERSION) {
		throw new UserError(
			`the keyward tables (${tables}) in ${where} are at schema version ${version}, newer than this keyward reads (${SCHEMA_VERSION}): upgrade @keyward/cli`,
		)
	}
}

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

/**
 * Open the store and a keyward over it. Commands that change keys create the database and migrate
 * it (audit table included); read-only ones refuse a database or tables that are not there.
 */
export async function openDatabase(
	location: Readonly<DatabaseLocation>,
	options: Readonly<OpenDatabaseOptions> = { readOnly: false },
): Promise<OpenDatabase> {
	const tables = { schema: location.schema, tablePrefix: location.tablePrefix }
	const where =
		location.url === undefined
			? `the database in ${location.dataDir}`
			: `the database at ${hidePassword(location.url)}`
	const inMemory = location.dataDir.startsWith('memory://')
	const { readOnly } = options
	if (location.url === undefined && !inMemory) {
		const dir = resolve(location.dataDir)
		await (readOnly ? checkExistingDatabase(dir) : checkWritableDirectory(dir))
	}
	let store: PostgresStore
	try {
		store = await openPostgresStore({
			...tables,
			url: location.url,
			dataDir: location.dataDir,
			connectTimeoutMs: 5000,
			poolSize: 2,
			migrate: !readOnly,
		})
	} catch (error) {
		throw new UserError(`cannot open ${where}: ${reason(error)}`)
	}
	if (readOnly) {
		try {
			await checkTables(store, where, location)
		} catch (error) {
			await store.close().catch(() => {})
			throw error
		}
	}
	const audit: AuditLog = { list: (query) => store.listAudit(query) }
	const keyward = cliKeyward(store, location)
	return { keyward, audit, close: () => keyward.close() }
}

/** The keyward the CLI's commands run on, over `store` and with the keys `location` describes. */
export function cliKeyward(store: KeyStore, location: Readonly<DatabaseLocation>): Keyward {
	return createKeyward({
		store,
		prefix: location.keyPrefix,
		environment: location.environment,
		pepper: location.pepper,
		legacyFormats: location.legacyFormats,
		// One-shot commands: read the store every time, write nothing on verification, and read usage
		// history without recording or pruning any (retention is the application's to enforce).
		cache: false,
		lastUsed: false,
		history: false,
	})
}
