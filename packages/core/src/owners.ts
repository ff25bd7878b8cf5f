import { KeywardError } from './errors.js'
import { checkFields, checkMetadata, checkQuota, checkScopeList } from './records.js'
import { intersectScopes } from './scopes.js'
import type { KeyInfo, OwnerInfo, OwnerPatch, VerifiedKey } from './types.js'

/** Prefix of an owner's counter and invalidation id; key ids are base62 and never contain `:`. */
export const OWNER_PREFIX = 'owner:'

/** The counter (and invalidation id) of owner `id`. */
export function ownerCounterId(id: string): string {
	return `${OWNER_PREFIX}${id}`
}

/**
 * The scopes a key has in effect under its owner's record (`null`: the owner has none): an
 * inheriting key gets the owner's scopes, an explicit key keeps what the owner's cover.
 */
export function effectiveScopes(key: KeyInfo, owner: OwnerInfo | null): readonly string[] {
	if (key.scopes === 'inherit') return owner?.scopes ?? []
	if (owner === null || owner.scopes === null) return key.scopes
	return intersectScopes(key.scopes, owner.scopes)
}

/** `key` as verified under `owner`: the same object when nothing changes, else a frozen copy. */
export function verifiedKey(key: KeyInfo, owner: OwnerInfo | null): VerifiedKey {
	const scopes = effectiveScopes(key, owner)
	if (scopes === key.scopes) return key as VerifiedKey
	return Object.freeze({ ...key, scopes: Object.freeze([...scopes]) })
}

/** Validate an owner patch; returns a copy with only the given fields. */
export function checkOwnerPatch(patch: unknown): OwnerPatch {
	checkFields(patch, 'setOwner patch')
	const fields = patch as Record<string, unknown>
	const out: { -readonly [K in keyof OwnerPatch]: OwnerPatch[K] } = {}
	if (fields.scopes !== undefined) out.scopes = fields.scopes === null ? null : checkScopeList(fields.scopes)
	if (fields.monthlyQuota !== undefined) out.monthlyQuota = checkQuota(fields.monthlyQuota)
	if (fields.disabled !== undefined) {
		if (typeof fields.disabled !== 'boolean')
			throw new KeywardError('invalid_argument', 'disabled must be true or false')
		out.disabled = fields.disabled
	}
	if (fields.metadata !== undefined) out.metadata = checkMetadata(fields.metadata)
	return out
}

/** `true` when a row from a store has the shape of an owner record. */
export function isOwnerRecord(value: unknown): value is OwnerInfo {
	if (typeof value !== 'object' || value === null) return false
	const r = value as Record<string, unknown>
	return (
		typeof r.id === 'string' &&
		(r.scopes === null || (Array.isArray(r.scopes) && r.scopes.every((s) => typeof s === 'string'))) &&
		(r.monthlyQuota === null || Number.isSafeInteger(r.monthlyQuota)) &&
		typeof r.disabled === 'boolean' &&
		typeof r.metadata === 'object' &&
		r.metadata !== null &&
		r.createdAt instanceof Date &&
		r.updatedAt instanceof Date
	)
}

/** The public copy of an owner record, frozen. */
export function toOwnerInfo(record: OwnerInfo): OwnerInfo {
	return Object.freeze({
		id: record.id,
		scopes: record.scopes === null ? null : Object.freeze([...record.scopes]),
		monthlyQuota: record.monthlyQuota,
		disabled: record.disabled,
		metadata: record.metadata,
		createdAt: record.createdAt,
		updatedAt: record.updatedAt,
	})
}
