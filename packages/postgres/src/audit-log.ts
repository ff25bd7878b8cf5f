import { AUDIT_ACTIONS, type AuditAction, type AuditEntry, type AuditSink } from '@keyward/core'
import type { Queryable } from './queryable.js'
import { type TableOptions, tableNames } from './tables.js'

/** Options of {@link PostgresAuditLog}. */
export interface PostgresAuditLogOptions extends TableOptions {
	/** A `pg` Pool, a PGlite instance, or anything else with `query(text, params)`; e.g. `store.client`. */
	client: Queryable
}

/** Filter of {@link PostgresAuditLog.list}. */
export interface AuditLogQuery {
	/** Most entries returned, 1 to 1000. @defaultValue 100 */
	limit?: number | undefined
	/** Only entries about this key id (as the key or as the rotated-away key). */
	keyId?: string | undefined
	/** Only entries about keys of this owner. */
	owner?: string | undefined
}

const COLUMNS = 'at, action, key_id, owner, actor, source, previous_key_id'
const MAX_LIMIT = 1000

function quote(identifier: string): string {
	return `"${identifier}"`
}

function text(value: unknown): string | null {
	return value === null || value === undefined ? null : String(value)
}

function toEntry(row: unknown): AuditEntry {
	const r = row as Record<string, unknown>
	return {
		at: r.at instanceof Date ? r.at : new Date(String(r.at)),
		action: String(r.action) as AuditAction,
		keyId: String(r.key_id),
		owner: String(r.owner),
		actor: text(r.actor),
		source: text(r.source),
		previousKeyId: text(r.previous_key_id),
	}
}

function checkEntry(entry: AuditEntry): void {
	const ok =
		typeof entry === 'object' &&
		entry !== null &&
		entry.at instanceof Date &&
		!Number.isNaN(entry.at.getTime()) &&
		AUDIT_ACTIONS.includes(entry.action) &&
		typeof entry.keyId === 'string' &&
		typeof entry.owner === 'string' &&
		(entry.actor === null || typeof entry.actor === 'string') &&
		(entry.source === null || typeof entry.source === 'string') &&
		(entry.previousKeyId === null || typeof entry.previousKeyId === 'string')
	if (!ok) throw new TypeError('PostgresAuditLog.write expects an AuditEntry')
}

/**
 * An audit trail in a PostgreSQL table (`<tablePrefix>audit`, next to the store's tables), on a
 * `pg` Pool or PGlite. It is an `AuditSink` for `attachAuditSink` and lists entries newest
 * first. Call {@link PostgresAuditLog.migrate} once before use.
 * @example
 * const store = await openPostgresStore({ url })
 * const audit = new PostgresAuditLog({ client: store.client })
 * await audit.migrate()
 * attachAuditSink(keyward, audit)
 */
export class PostgresAuditLog implements AuditSink {
	/** Quoted, qualified name of the audit table. */
	readonly table: string
	readonly #client: Queryable
	readonly #schema: string | null
	readonly #lockName: string
	readonly #index: string

	constructor(options: Readonly<PostgresAuditLogOptions>) {
		if (typeof options?.client?.query !== 'function') {
			throw new TypeError('PostgresAuditLog needs a client with a query(text, params) method')
		}
		// Validates schema and prefix the same way the store does.
		const names = tableNames(options)
		const prefix = options.tablePrefix ?? 'keyward_'
		this.#client = options.client
		this.#schema = names.schema
		this.table =
			names.schema === null ? quote(`${prefix}audit`) : `${names.schema}.${quote(`${prefix}audit`)}`
		this.#index = quote(`${prefix}audit_key_idx`)
		this.#lockName = names.lockName.replace(/^'keyward:/, "'keyward-audit:")
	}

	/**
	 * Create the audit table and its indexes when missing. Idempotent, and safe to run from
	 * several processes at once (they serialise on an advisory lock).
	 */
	async migrate(): Promise<void> {
		await this.#client.query(`DO $keyward$
BEGIN
	PERFORM pg_advisory_xact_lock(hashtext(${this.#lockName}));
	${this.#schema === null ? '' : `CREATE SCHEMA IF NOT EXISTS ${this.#schema};`}
	CREATE TABLE IF NOT EXISTS ${this.table} (
		id bigserial PRIMARY KEY,
		at timestamptz NOT NULL,
		action text NOT NULL,
		key_id text NOT NULL,
		owner text NOT NULL,
		actor text,
		source text,
		previous_key_id text
	);
	CREATE INDEX IF NOT EXISTS ${this.#index} ON ${this.table} (key_id);
END
$keyward$`)
	}

	/** Append one entry. */
	async write(entry: AuditEntry): Promise<void> {
		checkEntry(entry)
		await this.#client.query(`INSERT INTO ${this.table} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
			entry.at,
			entry.action,
			entry.keyId,
			entry.owner,
			entry.actor,
			entry.source,
			entry.previousKeyId,
		])
	}

	/** Entries matching `query`, newest first (entries of the same instant in reverse order of writing). */
	async list(query: Readonly<AuditLogQuery> = {}): Promise<AuditEntry[]> {
		const limit = query.limit ?? 100
		if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
			throw new RangeError(`limit must be an integer from 1 to ${MAX_LIMIT}`)
		}
		const where: string[] = []
		const params: unknown[] = []
		if (query.keyId !== undefined) {
			params.push(String(query.keyId))
			where.push(`(key_id = $${params.length} OR previous_key_id = $${params.length})`)
		}
		if (query.owner !== undefined) {
			params.push(String(query.owner))
			where.push(`owner = $${params.length}`)
		}
		params.push(limit)
		const filter = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`
		const { rows } = await this.#client.query(
			`SELECT ${COLUMNS} FROM ${this.table} ${filter} ORDER BY at DESC, id DESC LIMIT $${params.length}`,
			params,
		)
		return rows.map(toEntry)
	}
}
