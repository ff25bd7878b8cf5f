import { KeywardError } from './errors.js'
import type { SessionRecord } from './session-types.js'
import type {
	AuditAction,
	AuditEntry,
	AuditQuery,
	AuditStamp,
	ConsumeAllResult,
	CounterLimit,
} from './store-types.js'
import type { ConsumeResult } from './types.js'

/** Audit entries a {@link MemoryAuditTrail} keeps; older ones are dropped first. */
const AUDIT_KEPT = 10_000

/** In-process counters by period, then counter id: no string is built per request. */
export class MemoryCounters {
	readonly #usage = new Map<string, Map<string, number>>()

	consume(id: string, period: string, cost: number, limit: number): ConsumeResult {
		const used = this.#used(id, period)
		if (used + cost > limit) return { allowed: false, used }
		if (cost !== 0) this.#add(id, period, used + cost)
		return { allowed: true, used: used + cost }
	}

	/** Every counter or none, in one synchronous step. */
	consumeAll(counters: readonly CounterLimit[], period: string, cost: number): ConsumeAllResult {
		const counts = this.#usage.get(period)
		const used: number[] = []
		let allowed = true
		for (const counter of counters) {
			const n = counts?.get(counter.id) ?? 0
			if (n + cost > counter.limit) allowed = false
			used.push(n)
		}
		if (!allowed || cost === 0) return { allowed, used }
		for (let i = 0; i < counters.length; i++) {
			const after = (used[i] as number) + cost
			used[i] = after
			this.#add((counters[i] as CounterLimit).id, period, after)
		}
		return { allowed: true, used }
	}

	#used(id: string, period: string): number {
		return this.#usage.get(period)?.get(id) ?? 0
	}

	#add(id: string, period: string, value: number): void {
		let counts = this.#usage.get(period)
		if (counts === undefined) {
			counts = new Map()
			this.#usage.set(period, counts)
		}
		counts.set(id, value)
	}
}

/** The newest audit entries, in memory. */
export class MemoryAuditTrail {
	readonly #entries: AuditEntry[] = []

	note(
		action: AuditAction,
		subject: { keyId: string | null; owner: string },
		at: Date,
		stamp: AuditStamp | undefined,
		previousKeyId: string | null = null,
	): void {
		if (stamp === undefined) return
		const { keyId, owner } = subject
		this.#entries.push(
			Object.freeze({ at, action, keyId, owner, actor: stamp.actor, source: stamp.source, previousKeyId }),
		)
		if (this.#entries.length > AUDIT_KEPT) this.#entries.splice(0, this.#entries.length - AUDIT_KEPT)
	}

	list(query: Readonly<AuditQuery>): AuditEntry[] {
		const limit = query.limit ?? 100
		const out: AuditEntry[] = []
		for (let i = this.#entries.length - 1; i >= 0 && out.length < limit; i--) {
			const entry = this.#entries[i] as AuditEntry
			if (query.owner !== undefined && entry.owner !== query.owner) continue
			if (query.keyId !== undefined && entry.keyId !== query.keyId && entry.previousKeyId !== query.keyId)
				continue
			out.push(entry)
		}
		return out
	}
}

function copySession(session: SessionRecord): SessionRecord {
	return { ...session }
}

/** Sessions in memory, by id, by token hash and by key; every change is one synchronous step. */
export class MemorySessions {
	readonly #byId = new Map<string, SessionRecord>()
	readonly #idByHash = new Map<string, string>()
	readonly #idsByKey = new Map<string, Set<string>>()

	/**
	 * Insert `session`, then remove its key's sessions expired at its creation and the oldest others
	 * beyond `maxPerKey`; answers the removed ones. The caller checks that the key exists.
	 */
	create(session: SessionRecord, maxPerKey: number | undefined): SessionRecord[] {
		if (this.#byId.has(session.id) || this.#idByHash.has(session.hash)) {
			throw new KeywardError('duplicate_key', 'A session with this id or hash already exists')
		}
		const others = this.ofKey(session.keyId)
		this.#byId.set(session.id, copySession(session))
		this.#idByHash.set(session.hash, session.id)
		let ids = this.#idsByKey.get(session.keyId)
		if (ids === undefined) {
			ids = new Set()
			this.#idsByKey.set(session.keyId, ids)
		}
		ids.add(session.id)
		const at = session.createdAt.getTime()
		const live = others
			.filter((s) => s.expiresAt.getTime() > at)
			.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? -1 : 1))
		const doomed = [
			...others.filter((s) => s.expiresAt.getTime() <= at),
			...(maxPerKey === undefined ? [] : live.slice(Math.max(maxPerKey - 1, 0))),
		]
		for (const gone of doomed) this.delete(gone.id)
		return doomed.map(copySession)
	}

	findByHash(hash: string): SessionRecord | null {
		const id = this.#idByHash.get(hash)
		const session = id === undefined ? undefined : this.#byId.get(id)
		return session === undefined ? null : copySession(session)
	}

	/** Remove a session; answers it, or `null` when it was not there. */
	delete(id: string): SessionRecord | null {
		const session = this.#byId.get(id)
		if (session === undefined) return null
		this.#byId.delete(id)
		this.#idByHash.delete(session.hash)
		const ids = this.#idsByKey.get(session.keyId)
		ids?.delete(id)
		if (ids?.size === 0) this.#idsByKey.delete(session.keyId)
		return copySession(session)
	}

	/** The sessions of key `keyId`. */
	ofKey(keyId: string): SessionRecord[] {
		return [...(this.#idsByKey.get(keyId) ?? [])].map((id) => this.#byId.get(id) as SessionRecord)
	}

	/** Remove every session of key `keyId` (the key is gone). */
	deleteOfKey(keyId: string): void {
		for (const session of this.ofKey(keyId)) this.delete(session.id)
	}
}
