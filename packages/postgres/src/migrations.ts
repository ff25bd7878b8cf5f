import type { TableNames } from './tables.js'

/** The schema version this release of `@keyward/postgres` creates and understands. */
export const SCHEMA_VERSION = 1

/**
 * Migration steps, in order; step `i` brings the schema to version `i + 1`. Steps are PL/pgSQL
 * statements run inside one `DO` block, so a migration is one statement, one transaction, on
 * any connection of a pool, with or without a driver that supports multi-statement queries.
 */
function steps(t: TableNames): string[] {
	return [
		`CREATE TABLE IF NOT EXISTS ${t.keys} (
			id text PRIMARY KEY,
			hash text NOT NULL CONSTRAINT ${t.keysHashConstraint} UNIQUE,
			owner text NOT NULL,
			name text,
			note text,
			scopes text[] NOT NULL,
			created_at timestamptz NOT NULL,
			expires_at timestamptz,
			revoked_at timestamptz,
			last_used_at timestamptz,
			monthly_quota bigint,
			metadata jsonb NOT NULL
		);
		CREATE INDEX IF NOT EXISTS ${t.keysOwnerIndex} ON ${t.keys} (owner, created_at DESC);
		CREATE TABLE IF NOT EXISTS ${t.usage} (
			key_id text NOT NULL,
			period text NOT NULL,
			used bigint NOT NULL,
			PRIMARY KEY (key_id, period)
		);`,
	]
}

/**
 * The single statement that brings the tables to {@link SCHEMA_VERSION}. It takes a transaction
 * -scoped advisory lock first, so instances migrating at the same time wait for each other, and
 * records each applied step in the migrations table.
 */
export function migrationStatement(t: TableNames): string {
	const applied = steps(t)
		.map(
			(body, index) => `
	IF at_version < ${index + 1} THEN
		${body}
		INSERT INTO ${t.migrations} (version) VALUES (${index + 1});
	END IF;`,
		)
		.join('')
	return `DO $keyward$
DECLARE at_version integer;
BEGIN
	PERFORM pg_advisory_xact_lock(hashtext(${t.lockName}));
	${t.schema === null ? '' : `CREATE SCHEMA IF NOT EXISTS ${t.schema};`}
	CREATE TABLE IF NOT EXISTS ${t.migrations} (
		version integer PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	);
	SELECT coalesce(max(version), 0) INTO at_version FROM ${t.migrations};${applied}
END
$keyward$`
}

/** Reads the version the database is at. */
export function versionQuery(t: TableNames): string {
	return `SELECT coalesce(max(version), 0) AS version FROM ${t.migrations}`
}
