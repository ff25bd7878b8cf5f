import { resolve } from 'node:path'
import { KeywardError } from '@keyward/core'
import { rejectUnknownOptions } from '@keyward/core/adapter'
import { PostgresStore } from './postgres-store.js'
import { preparePrivateDir, tightenTree } from './private-dir.js'
import type { Queryable } from './queryable.js'
import type { TableOptions } from './tables.js'

/** Options of {@link openPostgresStore}. */
export interface OpenPostgresStoreOptions extends TableOptions {
	/**
	 * `postgres://` or `postgresql://` URL of a PostgreSQL server, reached through a `pg` Pool.
	 * When absent or empty (an unset environment variable), the embedded PGlite database in
	 * `dataDir` is opened instead; with neither, `openPostgresStore` throws.
	 */
	url?: string | undefined
	/**
	 * PGlite data directory, created (with its parents) when missing; used when `url` is absent.
	 * `'memory://'` keeps the database in memory, and every key is lost when the process ends: it
	 * must be asked for, never a fallback. One process at a time may open a directory.
	 *
	 * On POSIX systems the directory is private to its owner, whatever the umask: a missing one is
	 * created with mode 0700 (missing parents with 0755 at most, so other users cannot rename or
	 * replace it); an existing one that the group or others can reach is changed to 0700 when this
	 * process's user owns it, and refused with an error, unchanged, when another user does. When
	 * the store has opened and after it has closed, nothing inside has a group or other permission
	 * bit: PGlite writes a new database with only the umask as a guard (0666 files under umask 0),
	 * so the store removes those bits. Files PostgreSQL creates while the database is open get
	 * the modes it asks for (0600 for tables, indexes and WAL) less the umask; the 0700 directory
	 * keeps all of them from other users. On Windows, permissions are left as they are.
	 * @defaultValue none: required when `url` is absent or empty
	 */
	dataDir?: string | undefined
	/** Run `migrate()` before resolving. @defaultValue true */
	migrate?: boolean | undefined
	/** Most pool connections (PostgreSQL only). @defaultValue 10 */
	poolSize?: number | undefined
	/** Give up opening a connection after this long (PostgreSQL only). @defaultValue 5000 */
	connectTimeoutMs?: number | undefined
	/**
	 * Fail a query with no answer after this long and drop its connection, so a hung server
	 * does not hold the pool (PostgreSQL only). @defaultValue 5000
	 */
	queryTimeoutMs?: number | undefined
	/**
	 * Receives errors of idle pool connections (a restarted server, a cut network). They need no
	 * action: the pool replaces the connection and the next query reports any lasting failure.
	 * @defaultValue ignore them
	 */
	onError?: ((error: Error) => void) | undefined
}

interface PgPool extends Queryable {
	on(event: 'error', listener: (error: Error) => void): unknown
	end(): Promise<void>
}

interface PgModule {
	Pool: new (config: Record<string, unknown>) => PgPool
}

interface PGliteInstance extends Queryable {
	readonly waitReady: Promise<void>
	close(): Promise<void>
}

interface PGliteModule {
	PGlite: new (dataDir?: string) => PGliteInstance
}

async function importOptional<T>(name: string, purpose: string): Promise<T> {
	try {
		return (await import(name)) as T
	} catch (error) {
		throw new Error(`${purpose} needs the "${name}" package: install it next to @keyward/postgres`, {
			cause: error,
		})
	}
}

const OPEN_OPTIONS: Record<keyof OpenPostgresStoreOptions, true> = {
	url: true,
	dataDir: true,
	schema: true,
	tablePrefix: true,
	migrate: true,
	poolSize: true,
	connectTimeoutMs: true,
	queryTimeoutMs: true,
	onError: true,
}

/** Which database the options name; refuses options that name none, rather than guess one. */
function chooseDatabase(options: Readonly<OpenPostgresStoreOptions>): { url: string } | { dataDir: string } {
	if (typeof options !== 'object' || options === null) {
		throw new KeywardError('invalid_option', 'openPostgresStore expects an options object')
	}
	rejectUnknownOptions(options, Object.keys(OPEN_OPTIONS), 'openPostgresStore options')
	const { url, dataDir } = options
	if (url !== undefined && typeof url !== 'string') throw new TypeError('url must be a string')
	if (dataDir !== undefined && (typeof dataDir !== 'string' || dataDir === '')) {
		throw new TypeError('dataDir must be a directory path or "memory://"')
	}
	if (url !== undefined && url !== '') {
		if (!isPostgresUrl(url)) throw new TypeError('url must start with postgres:// or postgresql://')
		return { url }
	}
	if (dataDir !== undefined) return { dataDir }
	const why =
		'url' in options
			? `url is ${url === '' ? 'empty' : 'undefined'} (is its environment variable set?)`
			: 'neither url nor dataDir was given'
	throw new KeywardError(
		'invalid_option',
		`openPostgresStore needs a database: ${why}. Give url (postgres://...) for a server, dataDir for an embedded database on disk, or dataDir: 'memory://' for one in memory that loses every key when the process ends`,
	)
}

function isPostgresUrl(url: string): boolean {
	return /^postgres(ql)?:\/\//i.test(url)
}

/**
 * Open a ready-to-use {@link PostgresStore}: on PostgreSQL through a `pg` Pool when `url` is
 * given, else on an embedded PGlite database at `dataDir` (or in memory). Runs `migrate()`
 * unless told not to. The store's `close()` ends the pool or closes PGlite.
 * @example
 * // A server when KEYWARD_PG_URL is set, else an embedded database in .keyward/db
 * const store = await openPostgresStore({ url: process.env.KEYWARD_PG_URL, dataDir: '.keyward/db' })
 * const keyward = createKeyward({ store })
 */
export async function openPostgresStore(options: Readonly<OpenPostgresStoreOptions>): Promise<PostgresStore> {
	const database = chooseDatabase(options)
	const tables: TableOptions = { schema: options.schema, tablePrefix: options.tablePrefix }
	let store: PostgresStore
	if ('url' in database) {
		const pg = await importOptional<PgModule & { default?: PgModule }>('pg', 'A PostgreSQL url')
		const { Pool } = pg.default ?? pg
		const pool = new Pool({
			connectionString: database.url,
			max: options.poolSize ?? 10,
			connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
			query_timeout: options.queryTimeoutMs ?? 5000,
			keepAlive: true,
		})
		// Without a listener, an idle connection's error would crash the process.
		pool.on('error', options.onError ?? (() => {}))
		store = new PostgresStore({ ...tables, client: pool, onClose: () => pool.end() })
	} else {
		const { PGlite } = await importOptional<PGliteModule>('@electric-sql/pglite', 'An embedded database')
		const { dataDir } = database
		if (dataDir.startsWith('memory://')) {
			const db = new PGlite(dataDir)
			await db.waitReady
			store = new PostgresStore({ ...tables, client: db, onClose: () => db.close() })
		} else {
			const dir = resolve(dataDir)
			// The 0700 directory keeps the database from other users whatever the modes of the files
			// PGlite writes in it: those of a new database follow the umask alone (0666 under umask 0).
			await preparePrivateDir(dir)
			const db = new PGlite(dir)
			await db.waitReady
			try {
				await tightenTree(dir)
			} catch (error) {
				await db.close().catch(() => {})
				throw error
			}
			store = new PostgresStore({
				...tables,
				client: db,
				onClose: async () => {
					await db.close()
					await tightenTree(dir)
				},
			})
		}
	}
	if (options.migrate !== false) {
		try {
			await store.migrate()
		} catch (error) {
			await store.close().catch(() => {})
			throw error
		}
	}
	return store
}
