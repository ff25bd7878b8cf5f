import {
	type KeyStore,
	KeywardError,
	type OwnerInfo,
	type OwnerPatch,
	type UsageCounter,
} from '@keyward/core'
import { rejectUnknownOptions } from '@keyward/core/adapter'
import type { AuditEntry, AuditQuery, AuditStamp } from '@keyward/core/management'
import type {
	ChangeOptions,
	ConsumeAllResult,
	ConsumeResult,
	CounterLimit,
	CreateRecordOptions,
	CreateSessionRecordOptions,
	DeleteOptions,
	KeyPatch,
	KeyRecord,
	KeyRotation,
	RotationResult,
	SessionRecord,
	UsageHistoryRange,
	UsageHistoryRow,
	UsageHistoryStore,
} from '@keyward/core/testing'
import { auditListQuery, toAuditEntry } from './audit-sql.js'
import { historyParams, historyRead, historyStatements, toUsageRow } from './history-sql.js'
import { migrationStatement, migrationsTableQuery, SCHEMA_VERSION, versionQuery } from './migrations.js'
import type { Queryable } from './queryable.js'
import { patchAssignments, RECORD_COLUMNS, recordParams, toOwner, toRecord } from './rows.js'
import { sessionParams, sessionStatements, toSession } from './sessions-sql.js'
import { ownerStatements, prefixEnd, statements } from './statements.js'
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
	 * Record every lifecycle change (create, revoke, rotate, delete, purge, login, logout) in the
	 * audit table, in the same statement as the change, so neither exists without the other.
	 * @defaultValue true
	 */
	audit?: boolean | undefined
}

const UNIQUE_VIOLATION = '23505'
const FOREIGN_KEY_VIOLATION = '23503'

function isUniqueViolation(error: unknown): boolean {
	return (error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION
}

/** A unique violation as `duplicate_key`, a missing key as `key_not_found`; anything else as it is. */
function sessionError(error: unknown): unknown {
	const code = (error as { code?: unknown } | null)?.code
	if (code === UNIQUE_VIOLATION)
		return new KeywardError('duplicate_key', 'A session with this id or hash already exists', {
			cause: error,
		})
	if (code === FOREIGN_KEY_VIOLATION)
		return new KeywardError('key_not_found', 'No such key', { cause: error })
	return error
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
export class PostgresStore implements KeyStore, UsageCounter, UsageHistoryStore {
	/** Quoted, qualified names of the tables this store uses. */
	readonly tables: TableNames
	/** The client queries run on (for health checks or maintenance in the same pool). */
	readonly client: Queryable
	readonly #onClose: (() => Promise<void>) | undefined
	readonly #sql: ReturnType<typeof statements>
	readonly #ownerSql: ReturnType<typeof ownerStatements>
	readonly #sessionSql: ReturnType<typeof sessionStatements>
	readonly #historySql: ReturnType<typeof historyStatements>
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
		this.#ownerSql = ownerStatements(this.tables)
		this.#sessionSql = sessionStatements(this.tables)
		this.#historySql = historyStatements(this.tables)
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
				options.action ?? 'key.created',
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

	async findByHint(hint: string, limit: number): Promise<KeyRecord[]> {
		const { rows } = await this.client.query(this.#sql.byHint, [hint, limit])
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
		if (row?.current !== null && row?.current !== undefined)
			return { allowed: false, used: Number(row.current) }
		// Refused on a row created by a transaction that committed after this statement began: the
		// conflict saw it, the statement's snapshot does not. A new statement reads it.
		const { rows: again } = await this.client.query(this.#sql.usage, [keyId, period])
		return { allowed: false, used: Number((again[0] as { used: unknown } | undefined)?.used ?? 0) }
	}

	/**
	 * Add `cost` to every counter unless one would pass its limit, in one function call: the
	 * counters' rows are locked in id order, so concurrent calls neither overshoot nor deadlock.
	 */
	async consumeAll(
		counters: readonly CounterLimit[],
		period: string,
		cost: number,
	): Promise<ConsumeAllResult> {
		const ids = counters.map((c) => c.id)
		const limits = counters.map((c) => c.limit)
		const { rows } = await this.client.query(this.#ownerSql.consumeAll, [ids, period, cost, limits])
		const row = rows[0] as { allowed: unknown; used: unknown } | undefined
		const used = Array.isArray(row?.used) ? row.used.map(Number) : []
		return { allowed: row?.allowed === true, used }
	}

	async getOwner(id: string): Promise<OwnerInfo | null> {
		const { rows } = await this.client.query(this.#ownerSql.getOwner, [id])
		return rows.length === 0 ? null : toOwner(rows[0])
	}

	async setOwner(
		id: string,
		patch: Readonly<OwnerPatch>,
		at: Date,
		options: Readonly<ChangeOptions> = {},
	): Promise<OwnerInfo> {
		const { rows } = await this.client.query(this.#ownerSql.setOwner, [
			id,
			patch.scopes !== undefined,
			patch.scopes === undefined || patch.scopes === null ? null : [...patch.scopes],
			patch.monthlyQuota !== undefined,
			patch.monthlyQuota ?? null,
			patch.disabled ?? null,
			patch.metadata === undefined ? null : JSON.stringify(patch.metadata),
			at,
			...this.#stamp(options.audit),
		])
		return toOwner(rows[0])
	}

	async listOwners(query: { after?: string | undefined; limit: number }): Promise<OwnerInfo[]> {
		const { rows } = await this.client.query(this.#ownerSql.listOwners, [query.after ?? null, query.limit])
		return rows.map(toOwner)
	}

	/** One function call: insert, audit and the per-key limit, serialised per key. */
	async createSession(
		session: SessionRecord,
		options: Readonly<CreateSessionRecordOptions> = {},
	): Promise<SessionRecord[]> {
		try {
			const { rows } = await this.client.query(this.#sessionSql.create, [
				...sessionParams(session),
				options.maxPerKey ?? null,
				...this.#stamp(options.audit),
			])
			return rows.map(toSession)
		} catch (error) {
			throw sessionError(error)
		}
	}

	async findSessionByHash(hash: string): Promise<SessionRecord | null> {
		const { rows } = await this.client.query(this.#sessionSql.byHash, [hash])
		return rows.length === 0 ? null : toSession(rows[0])
	}

	async deleteSession(id: string, options: Readonly<DeleteOptions> = {}): Promise<SessionRecord | null> {
		const at = options.at ?? new Date()
		const { rows } = await this.client.query(this.#sessionSql.delete, [id, at, ...this.#stamp(options.audit)])
		return rows.length === 0 ? null : toSession(rows[0])
	}

	/** Add a batch of hourly counts in one statement (an upsert of five unnested arrays). */
	async recordUsage(rows: readonly UsageHistoryRow[]): Promise<void> {
		if (rows.length === 0) return
		await this.client.query(this.#historySql.record, historyParams(rows))
	}

	/** The hours of one key or one owner in `[from, to)`, through the primary key or the owner index. */
	async readUsage(range: UsageHistoryRange): Promise<UsageHistoryRow[]> {
		const { rows } = await this.client.query(...historyRead(this.#historySql, range))
		return rows.map(toUsageRow)
	}

	/** Delete the hours before `before`, in one statement. */
	async pruneUsage(before: Date): Promise<number> {
		const { rows } = await this.client.query(this.#historySql.prune, [before])
		return Number((rows[0] as { deleted?: unknown } | undefined)?.deleted ?? 0)
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
