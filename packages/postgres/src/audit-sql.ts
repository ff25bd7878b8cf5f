import type { AuditAction, AuditEntry, AuditQuery } from '@keyward/core/management'

/** Columns of the audit table, in the order of an entry's fields. */
export const AUDIT_COLUMNS = 'at, action, key_id, owner, actor, source, previous_key_id'
const MAX_LIMIT = 1000

/** The audit table and its indexes, created when missing (the store's migration and `PostgresAuditLog`). */
export function auditTableStatements(table: string, keyIndex: string, ownerIndex: string): string {
	return `CREATE TABLE IF NOT EXISTS ${table} (
		id bigserial PRIMARY KEY,
		at timestamptz NOT NULL,
		action text NOT NULL,
		key_id text,
		owner text NOT NULL,
		actor text,
		source text,
		previous_key_id text
	);
	CREATE INDEX IF NOT EXISTS ${keyIndex} ON ${table} (key_id);
	CREATE INDEX IF NOT EXISTS ${ownerIndex} ON ${table} (owner, at DESC);`
}

function text(value: unknown): string | null {
	return value === null || value === undefined ? null : String(value)
}

/** A row of the audit table as an {@link AuditEntry}. */
export function toAuditEntry(row: unknown): AuditEntry {
	const r = row as Record<string, unknown>
	return {
		at: r.at instanceof Date ? r.at : new Date(String(r.at)),
		action: String(r.action) as AuditAction,
		keyId: text(r.key_id),
		owner: String(r.owner),
		actor: text(r.actor),
		source: text(r.source),
		previousKeyId: text(r.previous_key_id),
	}
}

/** The query listing entries matching `query`, newest first (same instant: reverse order of writing). */
export function auditListQuery(
	table: string,
	query: Readonly<AuditQuery>,
): { text: string; params: unknown[] } {
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
	return {
		text: `SELECT ${AUDIT_COLUMNS} FROM ${table} ${filter} ORDER BY at DESC, id DESC LIMIT $${params.length}`,
		params,
	}
}
