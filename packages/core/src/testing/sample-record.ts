import type { SessionRecord } from '../session-types.js'
import type { KeyRecord } from '../types.js'

let serial = 0

function randomTail(length: number): string {
	const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz'
	return Array.from(crypto.getRandomValues(new Uint8Array(length)), (b) => alphabet[b % 36]).join('')
}

/** A complete record with a unique id and hash (unique across processes too); `overrides` replace fields. */
export function sampleRecord(overrides: Partial<KeyRecord> = {}): KeyRecord {
	serial++
	// A counter keeps ids apart within a process, random letters across processes sharing a service.
	const tag = `${serial.toString(36).padStart(4, '0').slice(-4)}${randomTail(8)}`
	const id = overrides.id ?? tag
	return {
		id,
		hash: `${tag}${'0'.repeat(64)}`.slice(0, 64),
		owner: 'owner-1',
		name: 'CI deploy',
		note: null,
		scopes: ['read:*', 'write:users'],
		createdAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)),
		expiresAt: null,
		revokedAt: null,
		lastUsedAt: null,
		monthlyQuota: null,
		metadata: {},
		familyId: id,
		replacedBy: null,
		hint: `kw_${tag.slice(0, 4)}`,
		...overrides,
	}
}

/**
 * A complete session of key `keyId` with a unique id and token hash; `overrides` replace fields.
 * It starts at the sample records' `createdAt` and lasts an hour.
 */
export function sampleSession(keyId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
	const tag = sampleRecord().id
	const createdAt = overrides.createdAt ?? new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678))
	return {
		id: tag,
		hash: `s${tag}${'1'.repeat(64)}`.slice(0, 64),
		keyId,
		owner: 'owner-1',
		createdAt,
		expiresAt: new Date(createdAt.getTime() + 3_600_000),
		client: '203.0.113.7',
		...overrides,
	}
}
