import type { OwnerInfo } from '@keyward/core'
import type { KeyPatch, KeyRecord } from '@keyward/core/testing'

/** Columns of the keys table, in the order of {@link recordParams}. */
export const RECORD_COLUMNS =
	'id, hash, owner, name, note, scopes, created_at, expires_at, revoked_at, last_used_at, monthly_quota, metadata, family_id, replaced_by, inherits_scopes, hint'

/** `create` parameters, in the order of {@link RECORD_COLUMNS}. */
export function recordParams(record: KeyRecord): unknown[] {
	return [
		record.id,
		record.hash,
		record.owner,
		record.name,
		record.note,
		record.scopes === 'inherit' ? [] : [...record.scopes],
		record.createdAt,
		record.expiresAt,
		record.revokedAt,
		record.lastUsedAt,
		record.monthlyQuota,
		JSON.stringify(record.metadata),
		record.familyId,
		record.replacedBy,
		record.scopes === 'inherit',
		record.hint ?? null,
	]
}

/** Placeholders matching {@link recordParams}: arrays and JSON are cast explicitly. */
export const RECORD_PLACEHOLDERS =
	'$1::text, $2::text, $3::text, $4::text, $5::text, $6::text[], $7::timestamptz, $8::timestamptz, $9::timestamptz, $10::timestamptz, $11::bigint, $12::jsonb, $13::text, $14::text, $15::boolean, $16::text'

/** Parameters of {@link recordParams}: how many. */
export const RECORD_PARAM_COUNT = 16

// Drivers differ: pg returns int8 as a string and PGlite as a number; a driver without type
// parsing returns timestamps and JSON as text. Normalising here keeps every client working.
/** A timestamp column as a `Date` (`null` stays `null`), whatever the driver returned. */
export function date(value: unknown): Date | null {
	if (value === null || value === undefined) return null
	return value instanceof Date ? value : new Date(String(value))
}

function json(value: unknown): Record<string, unknown> {
	return (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>
}

function text(value: unknown): string | null {
	return value === null || value === undefined ? null : String(value)
}

/** A row of the keys table as a {@link KeyRecord}. */
export function toRecord(row: unknown): KeyRecord {
	const r = row as Record<string, unknown>
	return {
		id: String(r.id),
		hash: String(r.hash),
		owner: String(r.owner),
		name: text(r.name),
		note: text(r.note),
		scopes: r.inherits_scopes === true ? 'inherit' : Array.isArray(r.scopes) ? r.scopes.map(String) : [],
		createdAt: date(r.created_at) as Date,
		expiresAt: date(r.expires_at),
		revokedAt: date(r.revoked_at),
		lastUsedAt: date(r.last_used_at),
		monthlyQuota: r.monthly_quota === null || r.monthly_quota === undefined ? null : Number(r.monthly_quota),
		metadata: json(r.metadata),
		familyId: String(r.family_id),
		replacedBy: text(r.replaced_by),
		hint: text(r.hint),
	}
}

const PATCH_COLUMNS: Record<keyof KeyPatch, [column: string, cast: string]> = {
	name: ['name', ''],
	note: ['note', ''],
	scopes: ['scopes', '::text[]'],
	expiresAt: ['expires_at', ''],
	revokedAt: ['revoked_at', ''],
	lastUsedAt: ['last_used_at', ''],
	monthlyQuota: ['monthly_quota', ''],
	metadata: ['metadata', '::jsonb'],
}

/**
 * `SET` assignments and their parameters for the fields `patch` gives; placeholders start at
 * `$2` (`$1` is the id).
 */
export function patchAssignments(patch: Readonly<KeyPatch>): { sql: string; params: unknown[] } {
	const sets: string[] = []
	const params: unknown[] = []
	for (const field of Object.keys(PATCH_COLUMNS) as (keyof KeyPatch)[]) {
		const value = patch[field]
		if (value === undefined) continue
		const [column, cast] = PATCH_COLUMNS[field]
		if (field === 'scopes') {
			const inherits = value === 'inherit'
			params.push(inherits ? [] : [...(value as string[])], inherits)
			sets.push(`scopes = $${params.length}::text[], inherits_scopes = $${params.length + 1}::boolean`)
			continue
		}
		params.push(field === 'metadata' ? JSON.stringify(value) : value)
		sets.push(`${column} = $${params.length + 1}${cast}`)
	}
	return { sql: sets.join(', '), params }
}

/** A row of the owners table as an owner record. */
export function toOwner(row: unknown): OwnerInfo {
	const r = row as Record<string, unknown>
	return {
		id: String(r.id),
		scopes: Array.isArray(r.scopes) ? r.scopes.map(String) : null,
		monthlyQuota: r.monthly_quota === null || r.monthly_quota === undefined ? null : Number(r.monthly_quota),
		disabled: r.disabled === true,
		metadata: json(r.metadata),
		createdAt: date(r.created_at) as Date,
		updatedAt: date(r.updated_at) as Date,
	}
}
