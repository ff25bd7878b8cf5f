import { KeywardError } from './errors.js'
import type { ConsumeResult, KeyPatch, KeyRecord, KeyStore, UsageCounter } from './types.js'

function copy(record: KeyRecord): KeyRecord {
	return { ...record, scopes: [...record.scopes], metadata: structuredClone(record.metadata) }
}

/**
 * In-process {@link KeyStore} and {@link UsageCounter}: the default store, for tests, demos and
 * single-process services. Returns copies, so callers cannot change what it holds.
 * @example createKeyward({ store: new MemoryStore() })
 */
export class MemoryStore implements KeyStore, UsageCounter {
	readonly #byId = new Map<string, KeyRecord>()
	readonly #idByHash = new Map<string, string>()
	/** Counts by period, then key id: no key text is built per request. */
	readonly #usage = new Map<string, Map<string, number>>()

	async create(record: KeyRecord): Promise<void> {
		if (this.#byId.has(record.id) || this.#idByHash.has(record.hash)) {
			throw new KeywardError('duplicate_key', 'A key with this id or hash already exists')
		}
		this.#byId.set(record.id, copy(record))
		this.#idByHash.set(record.hash, record.id)
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

	async list(query: { owner?: string | undefined }): Promise<KeyRecord[]> {
		const out: KeyRecord[] = []
		for (const record of this.#byId.values()) {
			if (query.owner === undefined || record.owner === query.owner) out.push(copy(record))
		}
		// Newest first; the id breaks ties so the order is stable.
		return out.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? -1 : 1))
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

	async delete(id: string): Promise<boolean> {
		const record = this.#byId.get(id)
		if (record === undefined) return false
		this.#byId.delete(id)
		this.#idByHash.delete(record.hash)
		return true
	}

	/** Counts synchronously: it answers with the result itself, not a promise. */
	consume(keyId: string, period: string, cost: number, limit: number): ConsumeResult {
		let counts = this.#usage.get(period)
		const used = counts?.get(keyId) ?? 0
		if (used + cost > limit) return { allowed: false, used }
		if (cost !== 0) {
			if (counts === undefined) {
				counts = new Map()
				this.#usage.set(period, counts)
			}
			counts.set(keyId, used + cost)
		}
		return { allowed: true, used: used + cost }
	}
}
