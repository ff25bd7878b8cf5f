import { auditTableStatements } from './audit-sql.js'
import { RECORD_COLUMNS } from './rows.js'
import { sessionTableStatements } from './sessions-sql.js'
import type { TableNames } from './tables.js'

/** The schema version this release of `@keyward/postgres` creates and understands. */
export const SCHEMA_VERSION = 6

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
		`ALTER TABLE ${t.keys} ADD COLUMN IF NOT EXISTS family_id text;
		UPDATE ${t.keys} SET family_id = id WHERE family_id IS NULL;
		ALTER TABLE ${t.keys} ALTER COLUMN family_id SET NOT NULL;
		ALTER TABLE ${t.keys} ADD COLUMN IF NOT EXISTS replaced_by text;
		CREATE INDEX IF NOT EXISTS ${t.keysIdPrefixIndex} ON ${t.keys} (id COLLATE "C");
		CREATE INDEX IF NOT EXISTS ${t.keysFamilyIndex} ON ${t.keys} (family_id) WHERE replaced_by IS NOT NULL;
		${auditTableStatements(t.audit, t.auditKeyIndex, t.auditOwnerIndex)}
		${createKeyFunction(t, V2_COLUMNS, V2_CREATE)}`,
		`ALTER TABLE ${t.keys} ADD COLUMN IF NOT EXISTS inherits_scopes boolean NOT NULL DEFAULT false;
		ALTER TABLE ${t.audit} ALTER COLUMN key_id DROP NOT NULL;
		CREATE TABLE IF NOT EXISTS ${t.owners} (
			id text PRIMARY KEY,
			scopes text[],
			monthly_quota bigint,
			disabled boolean NOT NULL DEFAULT false,
			metadata jsonb NOT NULL DEFAULT '{}',
			created_at timestamptz NOT NULL,
			updated_at timestamptz NOT NULL
		);
		DROP FUNCTION IF EXISTS ${t.createKeyFunction}(${V2_SIGNATURE});
		${createKeyFunction(t, V3_COLUMNS, V3_CREATE)}
		${consumeAllFunction(t)}`,
		sessionTableStatements(t),
		// Key hints, and imported keys audited as such.
		`ALTER TABLE ${t.keys} ADD COLUMN IF NOT EXISTS hint text;
		CREATE INDEX IF NOT EXISTS ${t.keysHintIndex} ON ${t.keys} (hint) WHERE hint IS NOT NULL;
		DROP FUNCTION IF EXISTS ${t.createKeyFunction}(${V3_SIGNATURE});
		${createKeyFunction(t, RECORD_COLUMNS, V5_CREATE)}`,
		// Usage history: the key id leads the primary key (a key's history is one range scan); the
		// owner index serves an account's history, the bucket index the retention's deletes.
		`CREATE TABLE IF NOT EXISTS ${t.usageHistory} (
			bucket timestamptz NOT NULL,
			key_id text NOT NULL,
			owner text NOT NULL,
			outcome text NOT NULL,
			count bigint NOT NULL,
			PRIMARY KEY (key_id, bucket, outcome)
		);
		CREATE INDEX IF NOT EXISTS ${t.usageHistoryOwnerIndex} ON ${t.usageHistory} (owner, bucket);
		CREATE INDEX IF NOT EXISTS ${t.usageHistoryBucketIndex} ON ${t.usageHistory} (bucket);`,
	]
}

/** The columns of the keys table at version 2, as its step created the function with. */
const V2_COLUMNS =
	'id, hash, owner, name, note, scopes, created_at, expires_at, revoked_at, last_used_at, monthly_quota, metadata, family_id, replaced_by'
const V2_SIGNATURE =
	'text, text, text, text, text, text[], timestamptz, timestamptz, timestamptz, timestamptz, bigint, jsonb, text, text, bigint, boolean, text, text'
/** The columns of the keys table at version 3, and the signature its create function had. */
const V3_COLUMNS = `${V2_COLUMNS}, inherits_scopes`
const V3_SIGNATURE =
	'text, text, text, text, text, text[], timestamptz, timestamptz, timestamptz, timestamptz, bigint, jsonb, text, text, boolean, bigint, boolean, text, text'

/** The parameters each version's create function takes after the record's first 14 columns. */
interface CreateParams {
	/** Declarations, each followed by a comma. */
	readonly declared: string
	/** The same parameters as values of the insert, each preceded by a comma. */
	readonly values: string
	/** Whether the function takes the audit action (`p_action`) rather than writing `key.created`. */
	readonly action: boolean
}
const V2_CREATE: CreateParams = { declared: '', values: '', action: false }
const V3_CREATE: CreateParams = {
	declared: 'p_inherits_scopes boolean,',
	values: ', p_inherits_scopes',
	action: false,
}
const V5_CREATE: CreateParams = {
	declared: 'p_inherits_scopes boolean, p_hint text,',
	values: ', p_inherits_scopes, p_hint',
	action: true,
}

/**
 * Every counter or none, serialised on the counters' rows, which are locked in id order so
 * concurrent calls cannot deadlock. Each statement of the function reads what committed before it.
 */
function consumeAllFunction(t: TableNames): string {
	return `CREATE OR REPLACE FUNCTION ${t.consumeAllFunction}(
			p_ids text[], p_period text, p_cost bigint, p_limits bigint[]
		) RETURNS TABLE (allowed boolean, used bigint[]) LANGUAGE plpgsql VOLATILE AS $consume_all$
		DECLARE
			v_used bigint[] := '{}';
			v_row bigint;
			v_ok boolean := true;
		BEGIN
			IF p_cost > 0 THEN
				INSERT INTO ${t.usage} (key_id, period, used)
					SELECT id, p_period, 0 FROM unnest(p_ids) AS id ORDER BY id
					ON CONFLICT (key_id, period) DO NOTHING;
				PERFORM 1 FROM ${t.usage} WHERE period = p_period AND key_id = ANY (p_ids) ORDER BY key_id FOR UPDATE;
			END IF;
			FOR i IN 1 .. array_length(p_ids, 1) LOOP
				SELECT u.used INTO v_row FROM ${t.usage} u WHERE u.key_id = p_ids[i] AND u.period = p_period;
				v_used := v_used || coalesce(v_row, 0);
				IF coalesce(v_row, 0) + p_cost > p_limits[i] THEN v_ok := false; END IF;
			END LOOP;
			IF v_ok AND p_cost > 0 THEN
				UPDATE ${t.usage} SET used = ${t.usage}.used + p_cost WHERE period = p_period AND key_id = ANY (p_ids);
				FOR i IN 1 .. array_length(v_used, 1) LOOP v_used[i] := v_used[i] + p_cost; END LOOP;
			END IF;
			RETURN QUERY SELECT v_ok, v_used;
		END
		$consume_all$;`
}

/**
 * The per-owner limit needs the count and the insert in one transaction, serialised per owner:
 * a single statement cannot do it (its snapshot predates any lock it takes), a function can,
 * since each of its statements reads the data committed before it. One call is one statement,
 * so it works on any pooled connection, PgBouncer's transaction mode included.
 */
function createKeyFunction(t: TableNames, columns: string, params: CreateParams): string {
	return `CREATE OR REPLACE FUNCTION ${t.createKeyFunction}(
			p_id text, p_hash text, p_owner text, p_name text, p_note text, p_scopes text[],
			p_created_at timestamptz, p_expires_at timestamptz, p_revoked_at timestamptz,
			p_last_used_at timestamptz, p_monthly_quota bigint, p_metadata jsonb, p_family_id text,
			p_replaced_by text, ${params.declared} p_max_active bigint, p_audit boolean, p_actor text, p_source text${params.action ? ', p_action text' : ''}
		) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $create_key$
		BEGIN
			PERFORM pg_advisory_xact_lock(hashtextextended(${t.lockName} || ' owner ' || p_owner, 0));
			IF p_max_active IS NOT NULL AND (
				SELECT count(*) FROM ${t.keys}
				WHERE owner = p_owner AND revoked_at IS NULL AND replaced_by IS NULL
					AND (expires_at IS NULL OR expires_at > p_created_at)
			) >= p_max_active THEN
				RETURN false;
			END IF;
			INSERT INTO ${t.keys} (${columns}) VALUES (
				p_id, p_hash, p_owner, p_name, p_note, p_scopes, p_created_at, p_expires_at, p_revoked_at,
				p_last_used_at, p_monthly_quota, p_metadata, p_family_id, p_replaced_by${params.values}
			);
			IF p_audit THEN
				INSERT INTO ${t.audit} (at, action, key_id, owner, actor, source, previous_key_id)
				VALUES (p_created_at, ${params.action ? 'p_action' : "'key.created'"}, p_id, p_owner, p_actor, p_source, NULL);
			END IF;
			RETURN true;
		END
		$create_key$;`
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

/** Whether the migrations table exists; `to_regclass` answers NULL, without an error, for a missing schema too. */
export function migrationsTableQuery(t: TableNames): string {
	// The names are validated identifiers, quoted: no quote can end the literal.
	return `SELECT to_regclass('${t.migrations}') IS NOT NULL AS present`
}

/** Reads the version the database is at. */
export function versionQuery(t: TableNames): string {
	return `SELECT coalesce(max(version), 0) AS version FROM ${t.migrations}`
}
