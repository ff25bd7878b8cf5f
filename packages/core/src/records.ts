import { KeywardError } from './errors.js'
import type { CreateKeyInput, CreateKeyLimits, RotateKeyOptions, UpdateKeyInput } from './lifecycle-types.js'
import { expiryFrom, type LifetimePolicy } from './lifetime.js'
import { unknownOptionMessage } from './option-names.js'
import { SCOPE_PATTERN } from './scopes.js'
import type { KeyInfo, KeyRecord, OwnerPatch } from './types.js'

const MAX_METADATA_BYTES = 8192

function bad(message: string): never {
	throw new KeywardError('invalid_argument', message)
}

function isDateOrNull(value: unknown): value is Date | null {
	return value === null || (value instanceof Date && !Number.isNaN(value.getTime()))
}

/** Neither revoked, nor expired at `at`, nor replaced by a rotation: counts against an owner's key limit. */
export function isActiveAt(record: KeyRecord, at: Date): boolean {
	return record.replacedBy === null && !isInactiveAt(record, at)
}

/** Revoked, or expired at `at`: can never authenticate again. */
export function isInactiveAt(record: KeyRecord, at: Date): boolean {
	return record.revokedAt !== null || (record.expiresAt !== null && record.expiresAt <= at)
}

/** Replaced by a rotation and still working until its grace period ends. */
export function isInGrace(record: KeyRecord, at: Date): boolean {
	return record.replacedBy !== null && !isInactiveAt(record, at)
}

/** The public part of a record, frozen (the hash never leaves this function). */
export function toInfo(record: KeyRecord): KeyInfo {
	return Object.freeze({
		id: record.id,
		owner: record.owner,
		name: record.name,
		note: record.note,
		scopes: record.scopes === 'inherit' ? 'inherit' : Object.freeze([...record.scopes]),
		createdAt: record.createdAt,
		expiresAt: record.expiresAt,
		revokedAt: record.revokedAt,
		lastUsedAt: record.lastUsedAt,
		monthlyQuota: record.monthlyQuota,
		metadata: record.metadata,
		familyId: record.familyId,
		replacedBy: record.replacedBy,
		// A store written before hints existed may not return the field at all.
		hint: record.hint ?? null,
	})
}

/** `true` when a row from a store has the shape of a record; anything else is treated as a store failure. */
export function isRecord(value: unknown): value is KeyRecord {
	if (typeof value !== 'object' || value === null) return false
	const r = value as Record<string, unknown>
	return (
		typeof r.id === 'string' &&
		typeof r.hash === 'string' &&
		typeof r.owner === 'string' &&
		(r.name === null || typeof r.name === 'string') &&
		(r.note === null || typeof r.note === 'string') &&
		(r.scopes === 'inherit' || (Array.isArray(r.scopes) && r.scopes.every((s) => typeof s === 'string'))) &&
		r.createdAt instanceof Date &&
		isDateOrNull(r.expiresAt) &&
		isDateOrNull(r.revokedAt) &&
		isDateOrNull(r.lastUsedAt) &&
		(r.monthlyQuota === null ||
			(typeof r.monthlyQuota === 'number' && Number.isSafeInteger(r.monthlyQuota))) &&
		typeof r.metadata === 'object' &&
		r.metadata !== null &&
		typeof r.familyId === 'string' &&
		(r.replacedBy === null || typeof r.replacedBy === 'string') &&
		(r.hint === undefined || r.hint === null || typeof r.hint === 'string')
	)
}

/** Validate a label such as owner or name: a string of at most `max` characters without control characters. */
export function checkText(value: unknown, field: string, max: number, required: boolean): string | null {
	if (value === undefined || value === null) {
		if (required) bad(`${field} is required`)
		return null
	}
	if (typeof value !== 'string') bad(`${field} must be a string`)
	if (required && value.trim() === '') bad(`${field} must not be empty`)
	if (value.length > max) bad(`${field} must be at most ${max} characters`)
	// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here
	if (/[\u0000-\u001f\u007f]/.test(value)) bad(`${field} must not contain control characters`)
	return value
}

/** The checked fields of a new key (created or imported) at `nowMs`: everything but its identity. */
export function newKeyFields(
	input: Readonly<CreateKeyInput>,
	lifetime: Readonly<LifetimePolicy>,
	nowMs: number,
) {
	return {
		owner: checkText(input.owner, 'owner', 256, true) as string,
		name: checkText(input.name, 'name', 256, false),
		note: checkText(input.note, 'note', 2048, false),
		scopes: checkKeyScopes(input.scopes),
		createdAt: new Date(nowMs),
		expiresAt: expiryFrom(lifetime, input.expiresAt, input.expiresIn, nowMs),
		revokedAt: null,
		lastUsedAt: null,
		monthlyQuota: checkQuota(input.monthlyQuota),
		metadata: checkMetadata(input.metadata),
	}
}

/** Validate a key's scopes: `'inherit'`, or a list (de-duplicated). */
export function checkKeyScopes(value: unknown): string[] | 'inherit' {
	return value === 'inherit' ? 'inherit' : checkScopeList(value)
}

/** Validate and de-duplicate scopes. */
export function checkScopeList(value: unknown): string[] {
	if (value === undefined) return []
	if (!Array.isArray(value)) bad('scopes must be an array of strings')
	if (value.length > 256) bad('scopes must hold at most 256 entries')
	for (const s of value) {
		if (typeof s !== 'string' || !SCOPE_PATTERN.test(s)) {
			bad('each scope must be 1-128 printable characters without spaces, quotes or backslashes')
		}
	}
	return [...new Set(value as string[])]
}

/** Validate a quota: `null` (unlimited) or a non-negative safe integer. */
export function checkQuota(value: unknown): number | null {
	if (value === undefined || value === null) return null
	if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
		bad('monthlyQuota must be null or a non-negative integer')
	}
	return value
}

/** Validate metadata: a plain JSON object of at most 8 KiB; returns a deep copy. */
export function checkMetadata(value: unknown): Record<string, unknown> {
	if (value === undefined) return {}
	if (typeof value !== 'object' || value === null || Array.isArray(value))
		bad('metadata must be a plain object')
	let json: string
	try {
		json = JSON.stringify(value)
	} catch {
		bad('metadata must be JSON-serialisable')
	}
	if (Buffer.byteLength(json) > MAX_METADATA_BYTES)
		bad(`metadata must be at most ${MAX_METADATA_BYTES} bytes as JSON`)
	return JSON.parse(json) as Record<string, unknown>
}

const CREATE_FIELDS: Record<keyof CreateKeyInput, true> = {
	owner: true,
	name: true,
	note: true,
	scopes: true,
	expiresAt: true,
	expiresIn: true,
	monthlyQuota: true,
	metadata: true,
}
const UPDATE_FIELDS: Record<keyof UpdateKeyInput, true> = {
	name: true,
	note: true,
	scopes: true,
	expiresAt: true,
	monthlyQuota: true,
	metadata: true,
}
const FIELDS = {
	'createKey input': Object.keys(CREATE_FIELDS),
	'createKey limits': ['maxActiveKeys', 'keepInactiveKeys'] satisfies (keyof CreateKeyLimits)[],
	'updateKey input': Object.keys(UPDATE_FIELDS),
	'rotateKey options': ['graceMs'] satisfies (keyof RotateKeyOptions)[],
	'listKeys query': ['owner'],
	'listOwners query': ['after', 'limit'],
	'setOwner patch': ['scopes', 'monthlyQuota', 'disabled', 'metadata'] satisfies (keyof OwnerPatch)[],
} as const

/**
 * Refuse a non-object and any field `where` does not take, with `KeywardError('invalid_argument')`
 * and a "did you mean" hint: from JavaScript, `createKey({ monthlyquota: 5 })` would otherwise
 * create a key without a quota.
 */
export function checkFields(value: unknown, where: keyof typeof FIELDS): void {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new KeywardError('invalid_argument', `${where} must be an object`)
	}
	const message = unknownOptionMessage(value, FIELDS[where], where)
	if (message !== undefined) throw new KeywardError('invalid_argument', message)
}

/** An optional integer limit of at least `min` (`maxKeys`, ...); `invalid_argument` otherwise. */
export function checkLimit(value: unknown, name: string, min: number): number | undefined {
	if (value === undefined) return undefined
	if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
		throw new KeywardError('invalid_argument', `${name} must be an integer of at least ${min}`)
	}
	return value
}
