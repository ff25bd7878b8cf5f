import { type KeyStore, KeywardError, type UsageCounter } from '@keyward/core'
import { rejectUnknownOptions } from '@keyward/core/adapter'
import type { AuditEntry, AuditQuery, AuditStamp } from '@keyward/core/management'
import type {
	ChangeOptions,
	ConsumeResult,
	CreateRecordOptions,
	DeleteOptions,
	KeyPatch,
	KeyRecord,
	KeyRotation,
	RotationResult,
} from '@keyward/core/testing'
import { AUDIT_COLUMNS, auditListQuery, toAuditEntry } from './audit-sql.js'
import { migrationStatement, migrationsTableQuery, SCHEMA_VERSION, versionQuery } from './migrations.js'
import type { Queryable } from './queryable.js'
import {
	patchAssignments,
	RECORD_COLUMNS,
	RECORD_PARAM_COUNT,
	RECORD_PLACEHOLDERS,
	recordParams,
	toRecord,
} from './rows.js'
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
	/**
	 * Record every lifecycle change (create, revoke, rotate, delete, purge) in the audit table, in
	 * the same statement as the change, so neither exists without the other. @defaultValue true
	 */
	audit?: boolean | undefined
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
	readonly #audit: boolean
	#closed: Promise<void> | undefined

	constructor(options: Readonly<PostgresStoreOptions>) {
		if (typeof options?.client?.query !== 'function') {
			throw new TypeError('PostgresStore needs a client with a query(text, params) method')
		}
		rejectUnknownOptions(
			options,
			['client', 'schema', 'tablePrefix', 'onClose', 'audit'] satisfies (keyof PostgresStoreOptions)[],
			'PostgresStore options',
		)
		this.client = options.client
		this.#onClose = options.onClose
		this.#audit = options.audit ?? true
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

	/**
	 * The schema version the tables are at: 0 before the first `migrate()` (no tables, or not even
	 * the schema). Reads only, so a read-only tool can tell a missing database from an empty one.
	 */
	async schemaVersion(): Promise<number> {
		const { rows: found } = await this.client.query(migrationsTableQuery(this.tables))
		if ((found[0] as { present?: unknown } | undefined)?.present !== true) return 0
		const { rows } = await this.client.query(versionQuery(this.tables))
		return Number((rows[0] as { version: unknown } | undefined)?.version ?? 0)
	}

	/** Insert, under the per-owner limit when one is given; one function call, serialised per owner. */
	async create(record: KeyRecord, options: Readonly<CreateRecordOptions> = {}): Promise<void> {
		let rows: unknown[]
		try {
			;({ rows } = await this.client.query(this.#sql.create, [
				...recordParams(record),
				options.maxActive ?? null,
				...this.#stamp(options.audit),
			]))
		} catch (error) {
			if (isUniqueViolation(error)) {
				throw new KeywardError('duplicate_key', 'A key with this id or hash already exists', { cause: error })
			}
			throw error
		}
		if ((rows[0] as { created?: unknown } | undefined)?.created !== true) {
			throw new KeywardError('too_many_keys', 'The owner holds too many active keys')
		}
	}

	async findByHash(hash: string): Promise<KeyRecord | null> {
		return this.#one(this.#sql.byHash, [hash])
	}

	async findById(id: string): Promise<KeyRecord | null> {
		return this.#one(this.#sql.byId, [id])
	}

	async findByIdPrefix(prefix: string, limit: number): Promise<KeyRecord[]> {
		const { rows } = await this.client.query(this.#sql.byIdPrefix, [prefix, prefixEnd(prefix), limit])
		return rows.map(toRecord)
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

	async revoke(id: string, at: Date, options: Readonly<ChangeOptions> = {}): Promise<KeyRecord | null> {
		const { rows } = await this.client.query(this.#sql.revoke, [id, at, ...this.#stamp(options.audit)])
		return rows.length === 0 ? null : toRecord(rows[0])
	}

	async revokeAll(owner: string, at: Date, options: Readonly<ChangeOptions> = {}): Promise<KeyRecord[]> {
		const { rows } = await this.client.query(this.#sql.revokeAll, [owner, at, ...this.#stamp(options.audit)])
		return rows.map(toRecord)
	}

	/** One statement: the old key is locked and re-checked, so concurrent rotations give one successor. */
	async rotate(rotation: KeyRotation): Promise<RotationResult | null> {
		const { id, successor, at, graceEndsAt } = rotation
		let rows: unknown[]
		try {
			;({ rows } = await this.client.query(this.#sql.rotate, [
				...recordParams(successor),
				id,
				at,
				graceEndsAt,
				...this.#stamp(rotation.audit),
			]))
		} catch (error) {
			if (isUniqueViolation(error)) {
				throw new KeywardError('duplicate_key', 'A key with this id or hash already exists', { cause: error })
			}
			throw error
		}
		const replaced = rows.find((row) => (row as { role: unknown }).role === 'replaced')
		if (replaced === undefined) return null
		return {
			replaced: toRecord(replaced),
			graceEnded: rows.filter((row) => (row as { role: unknown }).role === 'ended').map(toRecord),
		}
	}

	async delete(id: string, options: Readonly<DeleteOptions> = {}): Promise<boolean> {
		const at = options.at ?? new Date()
		const { rows } = await this.client.query(this.#sql.delete, [id, at, ...this.#stamp(options.audit)])
		return rows.length > 0
	}

	async purgeInactive(
		owner: string,
		keep: number,
		at: Date,
		options: Readonly<ChangeOptions> = {},
	): Promise<KeyRecord[]> {
		const { rows } = await this.client.query(this.#sql.purge, [
			owner,
			keep,
			at,
			...this.#stamp(options.audit),
		])
		return rows.map(toRecord)
	}

	/** The audit trail this store wrote, newest first. */
	async listAudit(query: Readonly<AuditQuery> = {}): Promise<AuditEntry[]> {
		const { text, params } = auditListQuery(this.tables.audit, query)
		const { rows } = await this.client.query(text, params)
		return rows.map(toAuditEntry)
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

	/** Whether to write the audit entry, and its actor and source: the last three parameters of a change. */
	#stamp(stamp: AuditStamp | undefined): [boolean, string | null, string | null] {
		return [this.#audit && stamp !== undefined, stamp?.actor ?? null, stamp?.source ?? null]
	}

	async #one(text: string, params: unknown[]): Promise<KeyRecord | null> {
		const { rows } = await this.client.query(text, params)
		return rows.length === 0 ? null : toRecord(rows[0])
	}
}

/**
 * The first string after every string starting with `prefix`, in byte order: with the lower
 * bound, a range the `id COLLATE "C"` index answers. `null` when there is none to give.
 */
function prefixEnd(prefix: string): string | null {
	const last = prefix.charCodeAt(prefix.length - 1)
	// Past a surrogate, UTF-16 and UTF-8 orders differ: leave the range open above.
	if (prefix.length === 0 || (last >= 0xd800 && last <= 0xdfff) || last === 0xffff) return null
	return prefix.slice(0, -1) + String.fromCharCode(last + 1)
}

function statements(t: TableNames) {
	const n = RECORD_PARAM_COUNT
	/** An audit row per row of `source` (a CTE with `id` and `owner`), written when `$write` is true. */
	const logged = (source: string, action: string, at: string, write: number, previous = 'NULL') =>
		`INSERT INTO ${t.audit} (${AUDIT_COLUMNS})
			SELECT ${at}, '${action}', id, owner, $${write + 1}::text, $${write + 2}::text, ${previous}
			FROM ${source} WHERE $${write}::boolean`
	return {
		create: `SELECT ${t.createKeyFunction}(${RECORD_PLACEHOLDERS}, $${n + 1}::bigint, $${n + 2}::boolean, $${n + 3}::text, $${n + 4}::text) AS created`,
		byHash: `SELECT ${RECORD_COLUMNS} FROM ${t.keys} WHERE hash = $1`,
		byId: `SELECT ${RECORD_COLUMNS} FROM ${t.keys} WHERE id = $1`,
		byIdPrefix: `SELECT ${RECORD_COLUMNS} FROM ${t.keys}
			WHERE id COLLATE "C" >= $1::text AND ($2::text IS NULL OR id COLLATE "C" < $2::text)
				AND starts_with(id, $1::text)
			LIMIT $3`,
		// "C" collation: ties break by id in code-point order, the same in every database locale.
		listAll: `SELECT ${RECORD_COLUMNS} FROM ${t.keys} ORDER BY created_at DESC, id COLLATE "C"`,
		listByOwner: `SELECT ${RECORD_COLUMNS} FROM ${t.keys} WHERE owner = $1 ORDER BY created_at DESC, id COLLATE "C"`,
		revoke: `WITH changed AS (
				UPDATE ${t.keys} SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING ${RECORD_COLUMNS}
			), logged AS (${logged('changed', 'key.revoked', '$2::timestamptz', 3)})
			SELECT * FROM changed`,
		revokeAll: `WITH changed AS (
				UPDATE ${t.keys} SET revoked_at = $2
				WHERE owner = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)
				RETURNING ${RECORD_COLUMNS}
			), logged AS (${logged('changed', 'key.revoked', '$2::timestamptz', 3)})
			SELECT * FROM changed ORDER BY created_at DESC, id COLLATE "C"`,
		// The successor is inserted only when the guarded update found the old key; under
		// concurrency the update waits for the row lock, re-checks replaced_by, and finds nothing.
		rotate: `WITH old AS (
				UPDATE ${t.keys} SET
					replaced_by = $1::text,
					revoked_at = CASE WHEN $${n + 3}::timestamptz IS NULL THEN $${n + 2}::timestamptz ELSE revoked_at END,
					expires_at = CASE
						WHEN $${n + 3}::timestamptz IS NULL OR (expires_at IS NOT NULL AND expires_at < $${n + 3}::timestamptz)
						THEN expires_at ELSE $${n + 3}::timestamptz END
				WHERE id = $${n + 1}::text AND replaced_by IS NULL AND revoked_at IS NULL
					AND (expires_at IS NULL OR expires_at > $${n + 2}::timestamptz)
				RETURNING ${RECORD_COLUMNS}
			), ended AS (
				UPDATE ${t.keys} k SET expires_at = $${n + 2}::timestamptz FROM old
				WHERE k.family_id = old.family_id AND k.id <> old.id AND k.replaced_by IS NOT NULL
					AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > $${n + 2}::timestamptz)
				RETURNING ${prefixed('k', RECORD_COLUMNS)}
			), successor AS (
				INSERT INTO ${t.keys} (${RECORD_COLUMNS}) SELECT ${RECORD_PLACEHOLDERS} FROM old RETURNING id, owner
			), logged AS (${logged('successor', 'key.rotated', `$${n + 2}::timestamptz`, n + 4, `$${n + 1}::text`)})
			SELECT 'replaced' AS role, * FROM old UNION ALL SELECT 'ended' AS role, * FROM ended`,
		delete: `WITH gone AS (DELETE FROM ${t.keys} WHERE id = $1 RETURNING id, owner),
			logged AS (${logged('gone', 'key.deleted', '$2::timestamptz', 3)})
			SELECT id FROM gone`,
		purge: `WITH doomed AS (
				SELECT id FROM ${t.keys}
				WHERE owner = $1 AND (revoked_at IS NOT NULL OR (expires_at IS NOT NULL AND expires_at <= $3))
				ORDER BY created_at DESC, id COLLATE "C" OFFSET $2
			), gone AS (
				DELETE FROM ${t.keys} k USING doomed WHERE k.id = doomed.id RETURNING ${prefixed('k', RECORD_COLUMNS)}
			), logged AS (${logged('gone', 'key.purged', '$3::timestamptz', 4)})
			SELECT * FROM gone`,
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

/** `columns` qualified with `alias`: `k.id, k.hash, ...`. */
function prefixed(alias: string, columns: string): string {
	return columns
		.split(', ')
		.map((column) => `${alias}.${column}`)
		.join(', ')
}
