import { KeywardError } from './errors.js'
import type { UsageHistoryRange, UsageHistoryRow, UsageHistoryStore } from './history-types.js'
import { addTo, copy, copyOwner, type IdIndex, idsIn, newestFirst, removeFrom } from './memory-helpers.js'
import { MemoryUsageHistory } from './memory-history.js'
import { MemoryAuditTrail, MemoryCounters, MemorySessions } from './memory-parts.js'
import { isActiveAt, isInactiveAt, isInGrace } from './records.js'
import type { SessionRecord } from './session-types.js'
import type {
	AuditAction,
	AuditEntry,
	AuditQuery,
	AuditStamp,
	ChangeOptions,
	ConsumeAllResult,
	CounterLimit,
	CreateRecordOptions,
	CreateSessionRecordOptions,
	DeleteOptions,
	KeyRotation,
	KeyStore,
	RotationResult,
	UsageCounter,
} from './store-types.js'
import type { ConsumeResult, KeyPatch, KeyRecord, OwnerInfo, OwnerPatch } from './types.js'

/**
 * In-process {@link KeyStore} and {@link UsageCounter}: the default store, for tests, demos and
 * single-process services. Returns copies, so callers cannot change what it holds. Every
 * lifecycle change happens without an `await` in between, so it is atomic; the newest 10,000
 * audit entries are kept in memory ({@link MemoryStore.listAudit}), and so is usage history
 * (a {@link UsageHistoryStore}, pruned by the keyward's `history.retentionDays`).
 * @example createKeyward({ store: new MemoryStore() })
 */
export class MemoryStore implements KeyStore, UsageCounter, UsageHistoryStore {
	readonly #byId = new Map<string, KeyRecord>()
	readonly #idByHash = new Map<string, string>()
	readonly #idsByOwner: IdIndex = new Map()
	readonly #idsByHint: IdIndex = new Map()
	readonly #owners = new Map<string, OwnerInfo>()
	readonly #counters = new MemoryCounters()
	readonly #audit = new MemoryAuditTrail()
	readonly #sessions = new MemorySessions()
	readonly #history = new MemoryUsageHistory()

	async create(record: KeyRecord, options: Readonly<CreateRecordOptions> = {}): Promise<void> {
		if (this.#byId.has(record.id) || this.#idByHash.has(record.hash)) {
			throw new KeywardError('duplicate_key', 'A key with this id or hash already exists')
		}
		const at = record.createdAt
		const { maxActive } = options
		if (maxActive !== undefined) {
			const active = this.#ownerRecords(record.owner).filter((r) => isActiveAt(r, at)).length
			if (active >= maxActive) throw new KeywardError('too_many_keys', 'The owner holds too many active keys')
		}
		this.#put(copy(record))
		this.#note(options.action ?? 'key.created', record, at, options.audit)
	}

	async findByHash(hash: string): Promise<KeyRecord | null> {
		const id = this.#idByHash.get(hash)
		const record = id === undefined ? undefined : this.#byId.get(id)
		return record === undefined ? null : copy(record)
	}

	async findById(id: string): Promise<KeyRecord | null> {
		const record = this.#byId.get(id)
		return record === undefined ? null : copy(record)
	}

	async findByIdPrefix(prefix: string, limit: number): Promise<KeyRecord[]> {
		const out: KeyRecord[] = []
		for (const [id, record] of this.#byId) {
			if (out.length >= limit) break
			if (id.startsWith(prefix)) out.push(copy(record))
		}
		return out
	}

	async findByHint(hint: string, limit: number): Promise<KeyRecord[]> {
		return idsIn(this.#idsByHint, hint)
			.slice(0, limit)
			.map((id) => copy(this.#byId.get(id) as KeyRecord))
	}

	async list(query: { owner?: string | undefined }): Promise<KeyRecord[]> {
		const records = query.owner === undefined ? [...this.#byId.values()] : this.#ownerRecords(query.owner)
		return records.sort(newestFirst).map(copy)
	}

	async update(id: string, patch: KeyPatch): Promise<KeyRecord | null> {
		const record = this.#byId.get(id)
		if (record === undefined) return null
		const next: Record<string, unknown> = { ...record }
		for (const [field, value] of Object.entries(patch)) if (value !== undefined) next[field] = value
		const updated = copy(next as unknown as KeyRecord)
		this.#byId.set(id, updated)
		return copy(updated)
	}

	async revoke(id: string, at: Date, options: Readonly<ChangeOptions> = {}): Promise<KeyRecord | null> {
		const record = this.#byId.get(id)
		if (record === undefined || record.revokedAt !== null) return null
		const revoked = { ...record, revokedAt: at }
		this.#byId.set(id, revoked)
		this.#note('key.revoked', revoked, at, options.audit)
		return copy(revoked)
	}

	async revokeAll(owner: string, at: Date, options: Readonly<ChangeOptions> = {}): Promise<KeyRecord[]> {
		const revoked: KeyRecord[] = []
		for (const record of this.#ownerRecords(owner).sort(newestFirst)) {
			if (record.revokedAt !== null || (record.expiresAt !== null && record.expiresAt <= at)) continue
			const next = { ...record, revokedAt: at }
			this.#byId.set(record.id, next)
			this.#note('key.revoked', next, at, options.audit)
			revoked.push(copy(next))
		}
		return revoked
	}

	async rotate(rotation: KeyRotation): Promise<RotationResult | null> {
		const { id, successor, at, graceEndsAt } = rotation
		const old = this.#byId.get(id)
		if (old === undefined || !isActiveAt(old, at)) return null
		if (this.#byId.has(successor.id) || this.#idByHash.has(successor.hash)) {
			throw new KeywardError('duplicate_key', 'A key with this id or hash already exists')
		}
		// A family keeps at most one key in grace: an earlier one still in grace ends now.
		const graceEnded: KeyRecord[] = []
		for (const member of this.#ownerRecords(old.owner)) {
			if (member.familyId === old.familyId && isInGrace(member, at)) {
				const ended = { ...member, expiresAt: at }
				this.#byId.set(member.id, ended)
				graceEnded.push(copy(ended))
			}
		}
		const replaced: KeyRecord =
			graceEndsAt === null
				? { ...old, replacedBy: successor.id, revokedAt: at }
				: {
						...old,
						replacedBy: successor.id,
						expiresAt: old.expiresAt !== null && old.expiresAt < graceEndsAt ? old.expiresAt : graceEndsAt,
					}
		this.#byId.set(id, replaced)
		this.#put(copy(successor))
		this.#note('key.rotated', successor, at, rotation.audit, id)
		return { replaced: copy(replaced), graceEnded }
	}

	async delete(id: string, options: Readonly<DeleteOptions> = {}): Promise<boolean> {
		const record = this.#byId.get(id)
		if (record === undefined) return false
		this.#remove(record)
		this.#note('key.deleted', record, options.at ?? new Date(), options.audit)
		return true
	}

	async purgeInactive(
		owner: string,
		keep: number,
		at: Date,
		options: Readonly<ChangeOptions> = {},
	): Promise<KeyRecord[]> {
		const inactive = this.#ownerRecords(owner)
			.filter((r) => isInactiveAt(r, at))
			.sort(newestFirst)
			.slice(keep)
		for (const old of inactive) {
			this.#remove(old)
			this.#note('key.purged', old, at, options.audit)
		}
		return inactive.map(copy)
	}

	/** The newest audit entries (at most 10,000 are kept), newest first. */
	async listAudit(query: Readonly<AuditQuery> = {}): Promise<AuditEntry[]> {
		return this.#audit.list(query)
	}

	async getOwner(id: string): Promise<OwnerInfo | null> {
		const owner = this.#owners.get(id)
		return owner === undefined ? null : copyOwner(owner)
	}

	async setOwner(
		id: string,
		patch: Readonly<OwnerPatch>,
		at: Date,
		options: Readonly<ChangeOptions> = {},
	): Promise<OwnerInfo> {
		const current = this.#owners.get(id) ?? {
			id,
			scopes: null,
			monthlyQuota: null,
			disabled: false,
			metadata: {},
			createdAt: at,
			updatedAt: at,
		}
		const next: Record<string, unknown> = { ...current, updatedAt: at }
		for (const [field, value] of Object.entries(patch)) if (value !== undefined) next[field] = value
		const updated = copyOwner(next as unknown as OwnerInfo)
		this.#owners.set(id, updated)
		this.#audit.note('owner.changed', { keyId: null, owner: id }, at, options.audit)
		return copyOwner(updated)
	}

	async listOwners(query: { after?: string | undefined; limit: number }): Promise<OwnerInfo[]> {
		const ids = [...this.#owners.keys()].filter((id) => query.after === undefined || id > query.after).sort()
		return ids.slice(0, query.limit).map((id) => copyOwner(this.#owners.get(id) as OwnerInfo))
	}

	async createSession(
		session: SessionRecord,
		options: Readonly<CreateSessionRecordOptions> = {},
	): Promise<SessionRecord[]> {
		if (!this.#byId.has(session.keyId)) throw new KeywardError('key_not_found', 'No such key')
		const removed = this.#sessions.create(session, options.maxPerKey)
		this.#audit.note('session.created', session, session.createdAt, options.audit)
		return removed
	}

	async findSessionByHash(hash: string): Promise<SessionRecord | null> {
		return this.#sessions.findByHash(hash)
	}

	async deleteSession(id: string, options: Readonly<DeleteOptions> = {}): Promise<SessionRecord | null> {
		const ended = this.#sessions.delete(id)
		if (ended !== null) this.#audit.note('session.ended', ended, options.at ?? new Date(), options.audit)
		return ended
	}

	/** Counts synchronously: it answers with the result itself, not a promise. */
	consume(keyId: string, period: string, cost: number, limit: number): ConsumeResult {
		return this.#counters.consume(keyId, period, cost, limit)
	}

	/** Counts every counter or none, synchronously. */
	consumeAll(counters: readonly CounterLimit[], period: string, cost: number): ConsumeAllResult {
		return this.#counters.consumeAll(counters, period, cost)
	}

	/** Adds a batch of hourly counts in one synchronous step. */
	async recordUsage(rows: readonly UsageHistoryRow[]): Promise<void> {
		this.#history.record(rows)
	}

	async readUsage(range: UsageHistoryRange): Promise<UsageHistoryRow[]> {
		return this.#history.read(range)
	}

	async pruneUsage(before: Date): Promise<number> {
		return this.#history.prune(before)
	}

	#ownerRecords(owner: string): KeyRecord[] {
		return idsIn(this.#idsByOwner, owner).map((id) => this.#byId.get(id) as KeyRecord)
	}

	#put(record: KeyRecord): void {
		this.#byId.set(record.id, record)
		this.#idByHash.set(record.hash, record.id)
		addTo(this.#idsByOwner, record.owner, record.id)
		if (typeof record.hint === 'string') addTo(this.#idsByHint, record.hint, record.id)
	}

	#remove(record: KeyRecord): void {
		this.#sessions.deleteOfKey(record.id)
		this.#byId.delete(record.id)
		this.#idByHash.delete(record.hash)
		removeFrom(this.#idsByOwner, record.owner, record.id)
		if (typeof record.hint === 'string') removeFrom(this.#idsByHint, record.hint, record.id)
	}

	#note(
		action: AuditAction,
		record: KeyRecord,
		at: Date,
		stamp: AuditStamp | undefined,
		previousKeyId: string | null = null,
	): void {
		this.#audit.note(action, { keyId: record.id, owner: record.owner }, at, stamp, previousKeyId)
	}
}
