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
		const used = counters.map(({ id }) => this.#used(id, period))
		if (counters.some(({ limit }, i) => (used[i] as number) + cost > limit)) return { allowed: false, used }
		const after = used.map((n) => n + cost)
		if (cost !== 0) for (const [i, { id }] of counters.entries()) this.#add(id, period, after[i] as number)
		return { allowed: true, used: after }
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
