import { rejectUnknownOptions } from '@keyward/core/adapter'
import { AUDIT_ACTIONS, type AuditEntry, type AuditQuery, type AuditSink } from '@keyward/core/management'
import { AUDIT_COLUMNS, auditListQuery, auditTableStatements, toAuditEntry } from './audit-sql.js'
import type { Queryable } from './queryable.js'
import { type TableNames, type TableOptions, tableNames } from './tables.js'

/** Options of {@link PostgresAuditLog}. */
export interface PostgresAuditLogOptions extends TableOptions {
	/** A `pg` Pool, a PGlite instance, or anything else with `query(text, params)`; e.g. `store.client`. */
	client: Queryable
}

/** Filter of {@link PostgresAuditLog.list}. */
export type AuditLogQuery = AuditQuery

function checkEntry(entry: AuditEntry): void {
	const ok =
		typeof entry === 'object' &&
		entry !== null &&
		entry.at instanceof Date &&
		!Number.isNaN(entry.at.getTime()) &&
		AUDIT_ACTIONS.includes(entry.action) &&
		(entry.keyId === null || typeof entry.keyId === 'string') &&
		typeof entry.owner === 'string' &&
		(entry.actor === null || typeof entry.actor === 'string') &&
		(entry.source === null || typeof entry.source === 'string') &&
		(entry.previousKeyId === null || typeof entry.previousKeyId === 'string')
	if (!ok) throw new TypeError('PostgresAuditLog.write expects an AuditEntry')
}

/**
 * The audit trail in PostgreSQL (`<tablePrefix>audit`, next to the store's tables), on a `pg` Pool
 * or PGlite. A {@link PostgresStore} writes it itself, in the same statement as each change, so
 * this class is mostly its reader. It is also an `AuditSink` for `attachAuditSink`, for a keyward
 * whose keys live in another store; never attach it to a keyward over a `PostgresStore` of the
 * same tables, which would record every change twice.
 * @example
 * const store = await openPostgresStore({ url })
 * const audit = new PostgresAuditLog({ client: store.client })
 * await audit.list({ owner: 'acme' })
 */
export class PostgresAuditLog implements AuditSink {
	/** Quoted, qualified name of the audit table. */
	readonly table: string
	readonly #client: Queryable
	readonly #names: TableNames

	constructor(options: Readonly<PostgresAuditLogOptions>) {
		if (typeof options?.client?.query !== 'function') {
			throw new TypeError('PostgresAuditLog needs a client with a query(text, params) method')
		}
		rejectUnknownOptions(
			options,
			['client', 'schema', 'tablePrefix'] satisfies (keyof PostgresAuditLogOptions)[],
			'PostgresAuditLog options',
		)
		// Validates schema and prefix the same way the store does.
		this.#names = tableNames(options)
		this.#client = options.client
		this.table = this.#names.audit
	}

	/**
	 * Create the audit table and its indexes when missing (a `PostgresStore`'s `migrate()` does
	 * too). Idempotent, and safe to run from several processes at once (they serialise on an
	 * advisory lock).
	 */
	async migrate(): Promise<void> {
		const names = this.#names
		await this.#client.query(`DO $keyward$
BEGIN
	PERFORM pg_advisory_xact_lock(hashtext(${names.lockName.replace(/^'keyward:/, "'keyward-audit:")}));
	${names.schema === null ? '' : `CREATE SCHEMA IF NOT EXISTS ${names.schema};`}
	${auditTableStatements(names.audit, names.auditKeyIndex, names.auditOwnerIndex)}
END
$keyward$`)
	}

	/** Append one entry. */
	async write(entry: AuditEntry): Promise<void> {
		checkEntry(entry)
		await this.#client.query(
			`INSERT INTO ${this.table} (${AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			[entry.at, entry.action, entry.keyId, entry.owner, entry.actor, entry.source, entry.previousKeyId],
		)
	}

	/** Entries matching `query`, newest first (entries of the same instant in reverse order of writing). */
	async list(query: Readonly<AuditLogQuery> = {}): Promise<AuditEntry[]> {
		const { text, params } = auditListQuery(this.table, query)
		const { rows } = await this.#client.query(text, params)
		return rows.map(toAuditEntry)
	}
}
