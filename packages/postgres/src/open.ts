import { mkdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { PostgresStore } from './postgres-store.js'
import type { Queryable } from './queryable.js'
import type { TableOptions } from './tables.js'

/** Options of {@link openPostgresStore}. */
export interface OpenPostgresStoreOptions extends TableOptions {
	/**
	 * `postgres://` or `postgresql://` URL of a PostgreSQL server, reached through a `pg` Pool.
	 * When absent or empty (an unset environment variable), an embedded PGlite database is
	 * opened instead (see `dataDir`).
	 */
	url?: string | undefined
	/**
	 * PGlite data directory, created (with its parents) when missing; used when `url` is absent.
	 * `'memory://'` keeps the database in memory. One process at a time may open a directory.
	 * @defaultValue 'memory://'
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
export async function openPostgresStore(
	options: Readonly<OpenPostgresStoreOptions> = {},
): Promise<PostgresStore> {
	const tables: TableOptions = { schema: options.schema, tablePrefix: options.tablePrefix }
	let store: PostgresStore
	if (options.url !== undefined && options.url !== '') {
		if (!isPostgresUrl(options.url)) throw new TypeError('url must start with postgres:// or postgresql://')
		const pg = await importOptional<PgModule & { default?: PgModule }>('pg', 'A PostgreSQL url')
		const { Pool } = pg.default ?? pg
		const pool = new Pool({
			connectionString: options.url,
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
		const dataDir = options.dataDir ?? 'memory://'
		const inMemory = dataDir.startsWith('memory://')
		if (!inMemory) await mkdir(dirname(resolve(dataDir)), { recursive: true })
		const db = new PGlite(inMemory ? dataDir : resolve(dataDir))
		await db.waitReady
		store = new PostgresStore({ ...tables, client: db, onClose: () => db.close() })
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
