import type { KeyInfo, KeyPatch } from './types.js'

/** Usage of a counter in one quota period. */
export interface PeriodUsage {
	/** Period id, e.g. `'2026-11'`. */
	period: string
	used: number
	/** `null` when there is no limit. */
	limit: number | null
	remaining: number | null
	/** End of the period. */
	resetAt: Date
}

/** Options of the usage reads: which period. */
export interface UsageQuery {
	/** A period id such as `'2026-10'`. @defaultValue the current period */
	period?: string | undefined
}

/** Input of {@link KeyLifecycle.createKey}. */
export interface CreateKeyInput {
	/** Who the key belongs to. */
	owner: string
	name?: string | null | undefined
	note?: string | null | undefined
	/**
	 * Granted scopes, or `'inherit'`: the owner's scopes (its {@link OwnerInfo} record), decided at
	 * each verification. @defaultValue [] (grants nothing)
	 */
	scopes?: readonly string[] | 'inherit' | undefined
	/** Absolute expiry; exclusive with `expiresIn`. `null`: never (if the lifetime policy allows). */
	expiresAt?: Date | null | undefined
	/** Lifetime in milliseconds; exclusive with `expiresAt`. @defaultValue `lifetime.defaultMs`, else never */
	expiresIn?: number | undefined
	/** Requests per quota period; `null` is unlimited. @defaultValue null */
	monthlyQuota?: number | null | undefined
	metadata?: Readonly<Record<string, unknown>> | undefined
}

/** Per-owner limits of {@link KeyLifecycle.createKey}, for self-service key creation. */
export interface CreateKeyLimits {
	/**
	 * Refuse with `KeywardError('too_many_keys')` when the owner already holds this many active
	 * keys (keys in a rotation's grace period do not count). Checked atomically by the store.
	 * @defaultValue no limit
	 */
	maxActiveKeys?: number | undefined
	/**
	 * After creating, delete the owner's inactive keys (revoked or expired) beyond the newest this
	 * many, so an owner's listing stays small. @defaultValue keep them all
	 */
	keepInactiveKeys?: number | undefined
}

/** A new key: `key` is the only copy of the secret and is never stored. */
export interface CreatedKey {
	key: string
	info: KeyInfo
}

/** Result of {@link KeyLifecycle.rotateKey}. */
export interface RotatedKey extends CreatedKey {
	/** The old key as it is after the rotation (expiring at the end of the grace period, or revoked). */
	previous: KeyInfo
}

/** Options of {@link KeyLifecycle.rotateKey}. */
export interface RotateKeyOptions {
	/** How long the old key keeps working. @defaultValue 0 (revoked at once) */
	graceMs?: number | undefined
}

/** Changes accepted by {@link KeyLifecycle.updateKey}. */
export type UpdateKeyInput = Pick<
	KeyPatch,
	'name' | 'note' | 'scopes' | 'expiresAt' | 'monthlyQuota' | 'metadata'
>

/**
 * Usage of one key in a quota period: units used by its family (the key and the keys it replaced
 * by rotation), against its own quota (`limit` `null` when it has none).
 */
export type KeyUsage = PeriodUsage

/** Key management: every change is one atomic store operation, recorded with its audit entry. */
export interface KeyLifecycle {
	/** Create a key; the returned `key` is the only time its text is available. */
	createKey(input: Readonly<CreateKeyInput>, limits?: Readonly<CreateKeyLimits>): Promise<CreatedKey>
	/** Keys of `owner` (every key without one), newest first, revoked ones included. */
	listKeys(query?: { owner?: string | undefined }): Promise<KeyInfo[]>
	/** One key by id, unambiguous id prefix (4+ characters) or full key; throws `key_not_found`. */
	getKey(idOrKey: string): Promise<KeyInfo>
	/** Revoke: the key stays listed and can no longer authenticate. Idempotent. */
	revokeKey(idOrKey: string): Promise<KeyInfo>
	/** Delete: the key disappears from listings and can no longer authenticate. */
	deleteKey(idOrKey: string): Promise<KeyInfo>
	/** Revoke every active key of `owner`, atomically; resolves to the number revoked. */
	revokeAll(owner: string): Promise<number>
	/**
	 * Replace a key with a new one carrying the same owner, scopes, quota and metadata. The new
	 * key shares the old one's quota count. A key can be rotated once (`key_not_active` after that,
	 * as for a revoked or expired key); concurrent rotations give exactly one successor.
	 */
	rotateKey(idOrKey: string, options?: Readonly<RotateKeyOptions>): Promise<RotatedKey>
	/** Change a key's name, note, scopes, expiry, quota or metadata. */
	updateKey(idOrKey: string, patch: Readonly<UpdateKeyInput>): Promise<KeyInfo>
	/** A key's usage in the current period, or in `query.period` (`'2026-10'`). */
	usage(idOrKey: string, query?: Readonly<UsageQuery>): Promise<KeyUsage>
}
