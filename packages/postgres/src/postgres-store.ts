import {
	type ConsumeResult,
	type KeyPatch,
	type KeyRecord,
	type KeyStore,
	KeywardError,
	type UsageCounter,
} from '@keyward/core'
import { migrationStatement, SCHEMA_VERSION, versionQuery } from './migrations.js'
import type { Queryable } from './queryable.js'
import { patchAssignments, RECORD_COLUMNS, RECORD_PLACEHOLDERS, recordParams, toRecord } from './rows.js'
import { type TableNames, type TableOptions, tableNames } from './tables.js'

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions extends TableOptions {
	/** A `pg` Pool (or Client), a PGlite instance, or anything else with `query(text, params)`. */
	client: Queryable
	/**
	 * Called once by `close()`. The store does not own `client` unless told so: pass
	 * `() => pool.end()` to release the pool with the store. @defaultValue none
	 */
	onClose?: (() => Promise<void>) | undefined
}

const UNIQUE_VIOLATION = '23505'

function isUniqueViolation(error: unknown): boolean {
	return (error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION
}

/**
 * Key records and quota counters in PostgreSQL, on a `pg` Pool in production or PGlite embedded.
 * Call {@link PostgresStore.migrate} once before use. Every method throws on database failure
 * (keyward answers 503 then); nothing is logged or retried here.
 * @example
 * const store = new PostgresStore({ client: new pg.Pool({ connectionString: process.env.DATABASE_URL }) })
 * await store.migrate()
 * const keyward = createKeyward({ store })   // the store is also the quota counter
 */
export class PostgresStore implements KeyStore, UsageCounter {
	/** Quoted, qualified names of the tables this store uses. */
	readonly tables: TableNames
	/** The client queries run on (for health checks or maintenance in the same pool). */
	readonly client: Queryable
	readonly #onClose: (() => Promise<void>) | undefined
	readonly #sql: ReturnType<typeof statements>
	#closed: Promise<void> | undefined

	constructor(options: Readonly<PostgresStoreOptions>) {
		if (typeof options?.client?.query !== 'function') {
			throw new TypeError('PostgresStore needs a client with a query(text, params) method')
		}
		this.client = options.client
		this.#onClose = options.onClose
		this.tables = tableNames(options)
		this.#sql = statements(this.tables)
	}

	/**
	 * Create or upgrade the tables to {@link SCHEMA_VERSION}. Idempotent and safe to run from
	 * several instances at once (they serialise on an advisory lock). Throws when the database
	 * was migrated by a newer release.
	 */
	async migrate(): Promise<void> {
		await this.client.query(migrationStatement(this.tables))
		const version = await this.schemaVersion()
		if (version > SCHEMA_VERSION) {
			throw new Error(
				`The keyward tables are at schema version ${version}; this @keyward/postgres supports up to ${SCHEMA_VERSION}`,
			)
		}
	}

	/** The schema version the tables are at (0 before the first `migrate()`). */
	async schemaVersion(): Promise<number> {
		const { rows } = await this.client.query(versionQuery(this.tables))
		return Number((rows[0] as { version: unknown } | undefined)?.version ?? 0)
	}

	async create(record: KeyRecord): Promise<void> {
		try {
			await this.client.query(this.#sql.insert, recordParams(record))
		} catch (error) {
			if (isUniqueViolation(error)) {
				throw new KeywardError('duplicate_key', 'A key with this id or hash already exists', { cause: error })
			}
			throw error
		}
	}

	async findByHash(hash: string): Promise<KeyRecord | null> {
		return this.#one(this.#sql.byHash, [hash])
	}

	async findById(id: string): Promise<KeyRecord | null> {
		return this.#one(this.#sql.byId, [id])
	}

	async list(query: { owner?: string | undefined }): Promise<KeyRecord[]> {
		const { rows } =
			query.owner === undefined
				? await this.client.query(this.#sql.listAll)
				: await this.client.query(this.#sql.listByOwner, [query.owner])
		return rows.map(toRecord)
	}

	async update(id: string, patch: KeyPatch): Promise<KeyRecord | null> {
		const { sql, params } = patchAssignments(patch)
		if (params.length === 0) return this.findById(id)
		return this.#one(`UPDATE ${this.tables.keys} SET ${sql} WHERE id = $1 RETURNING ${RECORD_COLUMNS}`, [
			id,
			...params,
		])
	}

	async delete(id: string): Promise<boolean> {
		const { rows } = await this.client.query(this.#sql.delete, [id])
		return rows.length > 0
	}

	/**
	 * Add `cost` to the key's counter for `period` unless that would pass `limit`, in one
	 * statement: concurrent calls, from any number of instances, never overshoot or lose a unit.
	 */
	async consume(keyId: string, period: string, cost: number, limit: number): Promise<ConsumeResult> {
		if (cost === 0) {
			const { rows } = await this.client.query(this.#sql.usage, [keyId, period])
			const used = Number((rows[0] as { used: unknown } | undefined)?.used ?? 0)
			return { allowed: used <= limit, used }
		}
		const { rows } = await this.client.query(this.#sql.consume, [keyId, period, cost, limit])
		const row = rows[0] as { added: unknown; current: unknown } | undefined
		if (row !== undefined && row.added !== null && row.added !== undefined) {
			return { allowed: true, used: Number(row.added) }
		}
		return { allowed: false, used: Number(row?.current ?? 0) }
	}

	/** Run `onClose` (once); the store must not be used afterwards. */
	close(): Promise<void> {
		this.#closed ??= this.#onClose?.() ?? Promise.resolve()
		return this.#closed
	}

	async #one(text: string, params: unknown[]): Promise<KeyRecord | null> {
		const { rows } = await this.client.query(text, params)
		return rows.length === 0 ? null : toRecord(rows[0])
	}
}

function statements(t: TableNames) {
	return {
		insert: `INSERT INTO ${t.keys} (${RECORD_COLUMNS}) VALUES (${RECORD_PLACEHOLDERS})`,
		byHash: `SELECT ${RECORD_COLUMNS} FROM ${t.keys} WHERE hash = $1`,
		byId: `SELECT ${RECORD_COLUMNS} FROM ${t.keys} WHERE id = $1`,
		// "C" collation: ties break by id in code-point order, the same in every database locale.
		listAll: `SELECT ${RECORD_COLUMNS} FROM ${t.keys} ORDER BY created_at DESC, id COLLATE "C"`,
		listByOwner: `SELECT ${RECORD_COLUMNS} FROM ${t.keys} WHERE owner = $1 ORDER BY created_at DESC, id COLLATE "C"`,
		delete: `DELETE FROM ${t.keys} WHERE id = $1 RETURNING id`,
		usage: `SELECT used FROM ${t.usage} WHERE key_id = $1 AND period = $2`,
		// The upsert adds only while the sum stays within the limit; a denial writes nothing. When it
		// adds nothing, the locking read reports the newest committed count (FOR UPDATE re-reads the
		// row's latest version under READ COMMITTED, where the statement snapshot could be older).
		consume: `WITH added AS (
				INSERT INTO ${t.usage} AS u (key_id, period, used)
				SELECT $1, $2, $3::bigint WHERE $3::bigint <= $4::bigint
				ON CONFLICT (key_id, period) DO UPDATE SET used = u.used + EXCLUDED.used
					WHERE u.used + EXCLUDED.used <= $4::bigint
				RETURNING u.used
			), current AS (
				SELECT used FROM ${t.usage}
				WHERE key_id = $1 AND period = $2 AND NOT EXISTS (SELECT 1 FROM added)
				FOR UPDATE
			)
			SELECT (SELECT used FROM added) AS added, (SELECT used FROM current) AS current`,
	}
}
