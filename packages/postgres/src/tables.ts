/** Where the store's tables live. */
export interface TableOptions {
	/**
	 * Schema holding the tables; created by `migrate()` when missing. @defaultValue none: the
	 * connection's `search_path` decides (usually `public`)
	 */
	schema?: string | undefined
	/** Prefix of every table and index name, so several stores can share a schema. @defaultValue 'keyward_' */
	tablePrefix?: string | undefined
}

/** Quoted, qualified names of the store's tables and indexes. */
export interface TableNames {
	/** The schema, quoted, or `null` for the `search_path` default. */
	readonly schema: string | null
	readonly keys: string
	readonly usage: string
	readonly migrations: string
	/** The audit trail, written with each lifecycle change. */
	readonly audit: string
	/** Owner records. */
	readonly owners: string
	/** Sessions started by logging in with a key. */
	readonly sessions: string
	/** The function that starts a session under a per-key limit. */
	readonly createSessionFunction: string
	/** Usage history: verifications per hour, key and outcome. */
	readonly usageHistory: string
	/** The function that creates a key under a per-owner limit. */
	readonly createKeyFunction: string
	/** The function that counts several counters, all or none. */
	readonly consumeAllFunction: string
	/** Index names are never schema-qualified in `CREATE INDEX`. */
	readonly keysHashConstraint: string
	readonly keysOwnerIndex: string
	readonly keysIdPrefixIndex: string
	readonly keysFamilyIndex: string
	readonly keysHintIndex: string
	readonly auditKeyIndex: string
	readonly auditOwnerIndex: string
	readonly sessionsHashConstraint: string
	readonly sessionsKeyIndex: string
	readonly usageHistoryOwnerIndex: string
	readonly usageHistoryBucketIndex: string
	/** SQL text expression naming this set of tables, for the migration lock. */
	readonly lockName: string
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/
const PREFIX = /^[A-Za-z_][A-Za-z0-9_]{0,39}$|^$/

function quote(identifier: string): string {
	return `"${identifier}"`
}

/**
 * Validate `schema` and `tablePrefix` and derive the quoted names. Names are restricted to
 * letters, digits and `_`, so they can be spliced into SQL safely.
 */
export function tableNames(options: Readonly<TableOptions>): TableNames {
	const schema = options.schema ?? null
	const prefix = options.tablePrefix ?? 'keyward_'
	if (schema !== null && (!IDENTIFIER.test(schema) || schema.length > 63)) {
		throw new TypeError('schema must be letters, digits and _, not starting with a digit (at most 63)')
	}
	if (!PREFIX.test(prefix)) {
		throw new TypeError('tablePrefix must be letters, digits and _, not starting with a digit (at most 40)')
	}
	const qualified = (name: string) => (schema === null ? quote(name) : `${quote(schema)}.${quote(name)}`)
	return {
		schema: schema === null ? null : quote(schema),
		keys: qualified(`${prefix}keys`),
		usage: qualified(`${prefix}usage`),
		migrations: qualified(`${prefix}migrations`),
		audit: qualified(`${prefix}audit`),
		owners: qualified(`${prefix}owners`),
		sessions: qualified(`${prefix}sessions`),
		createSessionFunction: qualified(`${prefix}create_session`),
		usageHistory: qualified(`${prefix}usage_history`),
		createKeyFunction: qualified(`${prefix}create_key`),
		consumeAllFunction: qualified(`${prefix}consume_all`),
		keysHashConstraint: quote(`${prefix}keys_hash_key`),
		keysOwnerIndex: quote(`${prefix}keys_owner_created_idx`),
		keysIdPrefixIndex: quote(`${prefix}keys_id_prefix_idx`),
		keysFamilyIndex: quote(`${prefix}keys_family_idx`),
		keysHintIndex: quote(`${prefix}keys_hint_idx`),
		auditKeyIndex: quote(`${prefix}audit_key_idx`),
		auditOwnerIndex: quote(`${prefix}audit_owner_idx`),
		sessionsHashConstraint: quote(`${prefix}sessions_hash_key`),
		sessionsKeyIndex: quote(`${prefix}sessions_key_idx`),
		usageHistoryOwnerIndex: quote(`${prefix}usage_history_owner_idx`),
		usageHistoryBucketIndex: quote(`${prefix}usage_history_bucket_idx`),
		lockName:
			schema === null ? `'keyward:' || current_schema() || '.${prefix}'` : `'keyward:${schema}.${prefix}'`,
	}
}
