import type { SessionRecord } from '@keyward/core/testing'
import { AUDIT_COLUMNS } from './audit-sql.js'
import { date } from './rows.js'
import type { TableNames } from './tables.js'

/** Columns of the sessions table, in the order of {@link sessionParams}. */
export const SESSION_COLUMNS = 'id, hash, key_id, owner, created_at, expires_at, client'

/**
 * The sessions table (step 4 of the migrations) and the function that starts a session. A session
 * goes with its key (`ON DELETE CASCADE`); its token is stored as a hash, like keys.
 */
export function sessionTableStatements(t: TableNames): string {
	return `CREATE TABLE IF NOT EXISTS ${t.sessions} (
			id text PRIMARY KEY,
			hash text NOT NULL CONSTRAINT ${t.sessionsHashConstraint} UNIQUE,
			key_id text NOT NULL REFERENCES ${t.keys} (id) ON DELETE CASCADE,
			owner text NOT NULL,
			created_at timestamptz NOT NULL,
			expires_at timestamptz NOT NULL,
			client text
		);
		CREATE INDEX IF NOT EXISTS ${t.sessionsKeyIndex} ON ${t.sessions} (key_id, created_at DESC);
		${createSessionFunction(t)}`
}

/**
 * Insert a session, record its audit entry, and remove the key's sessions expired at its start and
 * the oldest others beyond `p_keep`, all in one call serialised per key (an advisory lock), so
 * concurrent logins never leave more than `p_keep`. Each statement of the function reads what
 * committed before it. Returns the removed sessions.
 */
function createSessionFunction(t: TableNames): string {
	return `CREATE OR REPLACE FUNCTION ${t.createSessionFunction}(
			p_id text, p_hash text, p_key_id text, p_owner text, p_created_at timestamptz,
			p_expires_at timestamptz, p_client text, p_keep bigint, p_audit boolean, p_actor text, p_source text
		) RETURNS SETOF ${t.sessions} LANGUAGE plpgsql VOLATILE AS $create_session$
		BEGIN
			PERFORM pg_advisory_xact_lock(hashtextextended(${t.lockName} || ' sessions ' || p_key_id, 0));
			INSERT INTO ${t.sessions} (${SESSION_COLUMNS})
				VALUES (p_id, p_hash, p_key_id, p_owner, p_created_at, p_expires_at, p_client);
			IF p_audit THEN
				INSERT INTO ${t.audit} (${AUDIT_COLUMNS})
				VALUES (p_created_at, 'session.created', p_key_id, p_owner, p_actor, p_source, NULL);
			END IF;
			RETURN QUERY WITH doomed AS (
				SELECT s.id FROM ${t.sessions} s
				WHERE s.key_id = p_key_id AND s.id <> p_id AND s.expires_at <= p_created_at
				UNION ALL
				SELECT live.id FROM (
					SELECT s.id FROM ${t.sessions} s
					WHERE s.key_id = p_key_id AND s.id <> p_id AND s.expires_at > p_created_at
					ORDER BY s.created_at DESC, s.id COLLATE "C" OFFSET greatest(coalesce(p_keep, 1) - 1, 0)
				) live WHERE p_keep IS NOT NULL
			), gone AS (
				DELETE FROM ${t.sessions} s USING doomed WHERE s.id = doomed.id RETURNING s.*
			)
			SELECT * FROM gone;
		END
		$create_session$;`
}

/** `createSession` parameters before the limit and the audit stamp, in the function's order. */
export function sessionParams(session: SessionRecord): unknown[] {
	const { id, hash, keyId, owner, createdAt, expiresAt, client } = session
	return [id, hash, keyId, owner, createdAt, expiresAt, client]
}

/** The store's session statements over the tables `t`. */
export function sessionStatements(t: TableNames) {
	return {
		create: `SELECT ${SESSION_COLUMNS} FROM ${t.createSessionFunction}($1::text, $2::text, $3::text,
			$4::text, $5::timestamptz, $6::timestamptz, $7::text, $8::bigint, $9::boolean, $10::text, $11::text)`,
		byHash: `SELECT ${SESSION_COLUMNS} FROM ${t.sessions} WHERE hash = $1`,
		delete: `WITH gone AS (DELETE FROM ${t.sessions} WHERE id = $1 RETURNING ${SESSION_COLUMNS}),
			logged AS (
				INSERT INTO ${t.audit} (${AUDIT_COLUMNS})
				SELECT $2::timestamptz, 'session.ended', key_id, owner, $4::text, $5::text, NULL FROM gone WHERE $3::boolean
			)
			SELECT * FROM gone`,
	}
}

/** A row of the sessions table as a {@link SessionRecord}. */
export function toSession(row: unknown): SessionRecord {
	const r = row as Record<string, unknown>
	return {
		id: String(r.id),
		hash: String(r.hash),
		keyId: String(r.key_id),
		owner: String(r.owner),
		createdAt: date(r.created_at) as Date,
		expiresAt: date(r.expires_at) as Date,
		client: r.client === null || r.client === undefined ? null : String(r.client),
	}
}
