import { currentAuditStamp } from './audit-context.js'
import { KeywardError } from './errors.js'
import type { EventHub } from './events.js'
import type { KeyHasher } from './hash.js'
import { generateId, generateKey, parseKey } from './key-format.js'
import { hintOf, keywardKeyHint } from './key-hint.js'
import type {
	CreatedKey,
	CreateKeyInput,
	CreateKeyLimits,
	KeyLifecycle,
	RotatedKey,
	RotateKeyOptions,
} from './lifecycle-types.js'
import { expiryFrom, type LifetimePolicy } from './lifetime.js'
import { periodOf, readUsage } from './owner-lifecycle.js'
import type { QuotaCalendar } from './quota-period.js'
import {
	checkFields,
	checkKeyScopes,
	checkLimit,
	checkMetadata,
	checkQuota,
	checkText,
	isActiveAt,
	newKeyFields,
	toInfo,
} from './records.js'
import type { StoreBoundary } from './store-boundary.js'
import type { KeyStore, UsageCounter } from './store-types.js'
import type { KeyInfo, KeyPatch, KeyRecord } from './types.js'

/** What the lifecycle needs from the keyward that wires it. */
export interface LifecycleDeps {
	readonly store: KeyStore
	readonly usage: UsageCounter
	readonly boundary: StoreBoundary
	readonly hasher: KeyHasher
	readonly prefix: string
	readonly environment: string | null
	readonly lifetime: Readonly<LifetimePolicy>
	readonly calendar: QuotaCalendar
	readonly events: EventHub
	readonly now: () => number
	/** Key `record` changed: forget it in this instance's cache and tell the other instances. */
	changed(record: KeyRecord): void
	/** Key `record` was deleted at `nowMs`: keep answering `revoked` for it while it is cached. */
	deleted(record: KeyRecord, nowMs: number): void
	/**
	 * Every hash a key of a configured legacy format may be stored under, or `undefined` when
	 * `text` is of no such format.
	 */
	legacyHashes(text: string): readonly string[] | undefined
}

/** Id-like input: what a key id or an id prefix may look like. */
const ID_LIKE = /^[0-9A-Za-z]{4,64}$/
const notFound = () => new KeywardError('key_not_found', 'No such key')
const invalid = (message: string) => new KeywardError('invalid_argument', message)

/** The key-management half of a keyward. */
export function createLifecycle(deps: LifecycleDeps): KeyLifecycle {
	const { store, boundary, hasher, events, now } = deps
	const call = boundary.call

	/** The first record stored under one of `hashes`, or `null`. */
	async function byHashes(hashes: readonly string[]): Promise<KeyRecord | null> {
		for (const hash of hashes) {
			const record = await call(() => store.findByHash(hash))
			if (record !== null) return record
		}
		return null
	}

	/**
	 * The record `idOrKey` names: the key itself, its id, or, when no other key matches, a prefix
	 * of its id (4+ characters) or its hint. An exact id wins; anything else matching two keys is
	 * `ambiguous_id`.
	 */
	async function findRecord(idOrKey: string): Promise<KeyRecord> {
		if (typeof idOrKey !== 'string' || idOrKey.length === 0) {
			throw invalid('Expected a key id, id prefix, hint or key')
		}
		// A keyward key is found by its hash or not at all; a legacy one may also be an id or hint.
		const isKey = parseKey(idOrKey, deps.prefix) !== null
		const hashes = isKey ? hasher.candidates(idOrKey) : deps.legacyHashes(idOrKey)
		if (hashes !== undefined) {
			const record = await byHashes(hashes)
			if (record !== null) return record
			if (isKey) throw notFound()
		}
		const idLike = ID_LIKE.test(idOrKey)
		if (idLike) {
			const exact = await call(() => store.findById(idOrKey))
			if (exact !== null) return exact
		}
		const hint = hintOf(idOrKey)
		const [byPrefix, byHint] = await Promise.all([
			idLike ? call(() => store.findByIdPrefix(idOrKey, 2)) : [],
			hint === undefined ? [] : call(() => store.findByHint(hint, 2)),
		])
		const matches = new Map<string, KeyRecord>()
		for (const r of byPrefix) if (r.id.startsWith(idOrKey)) matches.set(r.id, r)
		for (const r of byHint) if (r.hint === hint) matches.set(r.id, r)
		if (matches.size > 1)
			throw new KeywardError('ambiguous_id', 'More than one key matches this id prefix or hint')
		const [match] = matches.values()
		if (match === undefined) throw notFound()
		return match
	}

	function newRecord(
		fields: Omit<KeyRecord, 'id' | 'hash' | 'familyId' | 'replacedBy' | 'hint'>,
		familyId?: string,
	) {
		const key = generateKey(deps.prefix, deps.environment)
		const id = generateId()
		const record: KeyRecord = {
			...fields,
			id,
			hash: hasher.hash(key),
			familyId: familyId ?? id,
			replacedBy: null,
			hint: keywardKeyHint(key),
		}
		return { key, record }
	}

	async function createKey(
		input: Readonly<CreateKeyInput>,
		limits: Readonly<CreateKeyLimits> = {},
	): Promise<CreatedKey> {
		checkFields(input, 'createKey input')
		checkFields(limits, 'createKey limits')
		const maxActive = checkLimit(limits.maxActiveKeys, 'maxActiveKeys', 1)
		const keepInactive = checkLimit(limits.keepInactiveKeys, 'keepInactiveKeys', 0)
		const nowMs = now()
		const fields = newKeyFields(input, deps.lifetime, nowMs)
		const at = fields.createdAt
		const owner = fields.owner
		const audit = currentAuditStamp()
		for (let attempt = 0; ; attempt++) {
			const { key, record } = newRecord(fields)
			try {
				await call(() => store.create(record, { maxActive, audit }))
			} catch (error) {
				// 71-bit ids collide only by astronomically bad luck; one retry covers it.
				if (attempt === 0 && error instanceof KeywardError && error.code === 'duplicate_key') continue
				throw error
			}
			const info = toInfo(record)
			events.emit('key.created', { key: info, at })
			if (keepInactive !== undefined) {
				for (const purged of await call(() => store.purgeInactive(owner, keepInactive, at, { audit }))) {
					deps.changed(purged)
					events.emit('key.purged', { key: toInfo(purged), at })
				}
			}
			return { key, info }
		}
	}

	async function revokeRecord(record: KeyRecord): Promise<KeyInfo> {
		if (record.revokedAt !== null) return toInfo(record)
		const at = new Date(now())
		const revoked = await call(() => store.revoke(record.id, at, { audit: currentAuditStamp() }))
		if (revoked === null) {
			// Revoked (or deleted) by someone else in the meantime: revoking is idempotent.
			const current = await call(() => store.findById(record.id))
			if (current === null) throw notFound()
			deps.changed(current)
			return toInfo(current)
		}
		deps.changed(revoked)
		const info = toInfo(revoked)
		events.emit('key.revoked', { key: info, at })
		return info
	}

	async function whyNotRotatable(id: string, nowMs: number): Promise<never> {
		const current = await call(() => store.findById(id))
		if (current === null) throw notFound()
		const reason =
			current.revokedAt !== null
				? 'A revoked key cannot be rotated'
				: current.replacedBy !== null
					? 'This key was already rotated'
					: current.expiresAt !== null && current.expiresAt.getTime() <= nowMs
						? 'An expired key cannot be rotated'
						: 'This key cannot be rotated now'
		throw new KeywardError('key_not_active', reason)
	}

	async function rotateKey(idOrKey: string, options: Readonly<RotateKeyOptions> = {}): Promise<RotatedKey> {
		checkFields(options, 'rotateKey options')
		const graceMs = options.graceMs ?? 0
		if (typeof graceMs !== 'number' || !Number.isFinite(graceMs) || graceMs < 0) {
			throw invalid('graceMs must be a non-negative number')
		}
		const old = await findRecord(idOrKey)
		const nowMs = now()
		const at = new Date(nowMs)
		if (!isActiveAt(old, at)) return whyNotRotatable(old.id, nowMs)
		// The new key lives as long as the old one was meant to, under the current policy.
		const lifetimeMs = old.expiresAt === null ? undefined : old.expiresAt.getTime() - old.createdAt.getTime()
		const { key, record } = newRecord(
			{
				owner: old.owner,
				name: old.name,
				note: old.note,
				scopes: old.scopes === 'inherit' ? 'inherit' : [...old.scopes],
				createdAt: at,
				expiresAt:
					lifetimeMs === undefined
						? expiryFrom(deps.lifetime, null, undefined, nowMs)
						: expiryFrom(deps.lifetime, undefined, lifetimeMs, nowMs),
				revokedAt: null,
				lastUsedAt: null,
				monthlyQuota: old.monthlyQuota,
				metadata: structuredClone(old.metadata),
			},
			old.familyId,
		)
		const rotated = await call(() =>
			store.rotate({
				id: old.id,
				successor: record,
				at,
				graceEndsAt: graceMs === 0 ? null : new Date(nowMs + graceMs),
				audit: currentAuditStamp(),
			}),
		)
		if (rotated === null) return whyNotRotatable(old.id, nowMs)
		for (const ended of rotated.graceEnded) deps.changed(ended)
		deps.changed(rotated.replaced)
		const info = toInfo(record)
		const previous = toInfo(rotated.replaced)
		events.emit('key.rotated', { key: info, previous, at })
		return { key, info, previous }
	}

	return {
		createKey,
		rotateKey,
		async listKeys(query = {}) {
			checkFields(query, 'listKeys query')
			const owner = query.owner === undefined ? undefined : checkText(query.owner, 'owner', 256, true)
			const records = await call(() => store.list(owner === undefined || owner === null ? {} : { owner }))
			return records.map(toInfo)
		},
		async getKey(idOrKey) {
			return toInfo(await findRecord(idOrKey))
		},
		async revokeKey(idOrKey) {
			return revokeRecord(await findRecord(idOrKey))
		},
		async deleteKey(idOrKey) {
			const record = await findRecord(idOrKey)
			const nowMs = now()
			const at = new Date(nowMs)
			if (!(await call(() => store.delete(record.id, { at, audit: currentAuditStamp() })))) throw notFound()
			deps.changed(record)
			deps.deleted(record, nowMs)
			const info = toInfo(record)
			events.emit('key.deleted', { key: info, at })
			return info
		},
		async revokeAll(owner) {
			const checked = checkText(owner, 'owner', 256, true) as string
			const at = new Date(now())
			const revoked = await call(() => store.revokeAll(checked, at, { audit: currentAuditStamp() }))
			for (const record of revoked) {
				deps.changed(record)
				events.emit('key.revoked', { key: toInfo(record), at })
			}
			return revoked.length
		},
		async updateKey(idOrKey, input) {
			checkFields(input, 'updateKey input')
			const changes: KeyPatch = {}
			if (input.name !== undefined) changes.name = checkText(input.name, 'name', 256, false)
			if (input.note !== undefined) changes.note = checkText(input.note, 'note', 2048, false)
			if (input.scopes !== undefined) changes.scopes = checkKeyScopes(input.scopes)
			if (input.monthlyQuota !== undefined) changes.monthlyQuota = checkQuota(input.monthlyQuota)
			if (input.metadata !== undefined) changes.metadata = checkMetadata(input.metadata)
			if (input.expiresAt !== undefined)
				changes.expiresAt = expiryFrom(deps.lifetime, input.expiresAt, undefined, now())
			const record = await findRecord(idOrKey)
			const updated = await call(() => store.update(record.id, changes))
			if (updated === null) throw notFound()
			deps.changed(record)
			return toInfo(updated)
		},
		async usage(idOrKey, query = {}) {
			const record = await findRecord(idOrKey)
			const period = periodOf(deps.calendar, now(), query)
			return readUsage(deps, record.familyId, record.owner, period, record.monthlyQuota)
		},
	}
}
