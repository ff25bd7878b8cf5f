import { AUDIT_COLUMNS } from './audit-sql.js'
import { RECORD_COLUMNS, RECORD_PARAM_COUNT, RECORD_PLACEHOLDERS } from './rows.js'
import type { TableNames } from './tables.js'

/**
 * The first string after every string starting with `prefix`, in byte order: with the lower
 * bound, a range the `id COLLATE "C"` index answers. `null` when there is none to give.
 */
export function prefixEnd(prefix: string): string | null {
	const last = prefix.charCodeAt(prefix.length - 1)
	// Past a surrogate, UTF-16 and UTF-8 orders differ: leave the range open above.
	if (prefix.length === 0 || (last >= 0xd800 && last <= 0xdfff) || last === 0xffff) return null
	return prefix.slice(0, -1) + String.fromCharCode(last + 1)
}

/** The store's statements over the tables `t`. */
export function statements(t: TableNames) {
	const n = RECORD_PARAM_COUNT
	/** An audit row per row of `source` (a CTE with `id` and `owner`), written when `$write` is true. */
	const logged = (source: string, action: string, at: string, write: number, previous = 'NULL') =>
		`INSERT INTO ${t.audit} (${AUDIT_COLUMNS})
			SELECT ${at}, '${action}', id, owner, $${write + 1}::text, $${write + 2}::text, ${previous}
			FROM ${source} WHERE $${write}::boolean`
	return {
		create: `SELECT ${t.createKeyFunction}(${RECORD_PLACEHOLDERS}, $${n + 1}::bigint, $${n + 2}::boolean, $${n + 3}::text, $${n + 4}::text, $${n + 5}::text) AS created`,
		byHash: `SELECT ${RECORD_COLUMNS} FROM ${t.keys} WHERE hash = $1`,
		byId: `SELECT ${RECORD_COLUMNS} FROM ${t.keys} WHERE id = $1`,
		byIdPrefix: `SELECT ${RECORD_COLUMNS} FROM ${t.keys}
			WHERE id COLLATE "C" >= $1::text AND ($2::text IS NULL OR id COLLATE "C" < $2::text)
				AND starts_with(id, $1::text)
			LIMIT $3`,
		// "C" collation: ties break by id in code-point order, the same in every database locale.
		byHint: `SELECT ${RECORD_COLUMNS} FROM ${t.keys} WHERE hint = $1 LIMIT $2`,
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

/** The columns of owner records, in the order of {@link ownerRow}. */
export const OWNER_COLUMNS = 'id, scopes, monthly_quota, disabled, metadata, created_at, updated_at'

/** Statements of owner records and of counting several counters at once. */
export function ownerStatements(t: TableNames) {
	return {
		getOwner: `SELECT ${OWNER_COLUMNS} FROM ${t.owners} WHERE id = $1`,
		listOwners: `SELECT ${OWNER_COLUMNS} FROM ${t.owners}
			WHERE $1::text IS NULL OR id COLLATE "C" > $1::text ORDER BY id COLLATE "C" LIMIT $2`,
		// $2/$4: whether the patch gives scopes / a quota (either may be set to null); $6, $7: null when absent.
		setOwner: `WITH up AS (
				INSERT INTO ${t.owners} AS o (${OWNER_COLUMNS})
				VALUES ($1, CASE WHEN $2::boolean THEN $3::text[] END, CASE WHEN $4::boolean THEN $5::bigint END,
					coalesce($6::boolean, false), coalesce($7::jsonb, '{}'), $8::timestamptz, $8::timestamptz)
				ON CONFLICT (id) DO UPDATE SET
					scopes = CASE WHEN $2::boolean THEN EXCLUDED.scopes ELSE o.scopes END,
					monthly_quota = CASE WHEN $4::boolean THEN EXCLUDED.monthly_quota ELSE o.monthly_quota END,
					disabled = coalesce($6::boolean, o.disabled),
					metadata = coalesce($7::jsonb, o.metadata),
					updated_at = $8::timestamptz
				RETURNING ${OWNER_COLUMNS}
			), logged AS (
				INSERT INTO ${t.audit} (${AUDIT_COLUMNS})
				SELECT $8::timestamptz, 'owner.changed', NULL, id, $10::text, $11::text, NULL FROM up WHERE $9::boolean
			)
			SELECT * FROM up`,
		consumeAll: `SELECT allowed, used FROM ${t.consumeAllFunction}($1::text[], $2::text, $3::bigint, $4::bigint[])`,
	}
}
