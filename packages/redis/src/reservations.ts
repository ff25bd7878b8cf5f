import { rejectUnknownOptions } from '@keyward/core/adapter'
import type { ConsumeAllResult, ConsumeResult, CounterLimit } from '@keyward/core/testing'
import { pair, RELEASE, RESERVE, type Script } from './scripts.js'

/** Options of batched counting: see `RedisUsageCounterOptions.batch`. */
export interface RedisBatchOptions {
	/**
	 * Most units one instance reserves for one key at a time. It bounds the units an instance that
	 * dies without `close()` takes with it, and how long other instances may be refused near the
	 * limit (see the README). @defaultValue 100
	 */
	maxReservation?: number | undefined
	/**
	 * Reserved units not used for this long (between one and two intervals) are given back, and
	 * counters of past periods are handed back too. @defaultValue 1000
	 */
	releaseAfterMs?: number | undefined
}

/**
 * Check batch options (names and values) and fill in the defaults; `connectRedis` calls it before
 * it connects, so a typo fails at once.
 */
export function resolveBatchOptions(options: Readonly<RedisBatchOptions> | boolean | undefined): {
	max: number
	releaseAfterMs: number
} {
	const given = typeof options === 'object' && options !== null ? options : {}
	if (typeof options === 'object' && options !== null) {
		rejectUnknownOptions(
			options,
			['maxReservation', 'releaseAfterMs'] satisfies (keyof RedisBatchOptions)[],
			'batch options',
		)
	}
	const max = given.maxReservation ?? 100
	const releaseAfterMs = given.releaseAfterMs ?? 1000
	if (!Number.isSafeInteger(max) || max < 1)
		throw new TypeError('batch.maxReservation must be a positive integer')
	if (!Number.isFinite(releaseAfterMs) || releaseAfterMs <= 0) {
		throw new TypeError('batch.releaseAfterMs must be a positive number')
	}
	return { max, releaseAfterMs }
}

/** Reserved units of one key in one period, held by this instance. */
interface Slot {
	readonly keyId: string
	readonly group: string | undefined
	readonly period: string
	readonly key: string
	/** Reserved here and not served yet. */
	left: number
	/** The Redis counter as of our last reservation (it includes `left`). */
	counted: number
	/** The limit the reservation was made under: a lower limit makes us give the rest back first. */
	limit: number
	/** Size of the next reservation; doubles while the key is busy. */
	chunk: number
	/** Served a unit since the last sweep. */
	active: boolean
	/** A reservation or release in flight; callers queue behind it. */
	pending: Promise<unknown> | undefined
	/** Units wanted by callers queued behind `pending`: the next reservation asks for them all. */
	waiting: number
	/**
	 * Room Redis had left under `refusedLimit` when it last refused a reservation (or had nothing
	 * to reserve ahead), or -1. Until the
	 * next sweep, a request needing more than that is refused here, without a round trip.
	 */
	refusedRoom: number
	refusedLimit: number
}

interface Backend {
	run(script: Script, key: string, args: readonly string[]): Promise<unknown>
	keyFor(keyId: string, period: string, group: string | undefined): string
	/** Expiry (epoch seconds, as text) of a period's counter. */
	expiry(period: string): string
}

const noop = () => {}

/**
 * Serves quota from units reserved in Redis in advance: a request that finds enough reserved
 * units locally is counted without a round trip. Every unit served was added to the shared
 * counter by an atomic script that never lets it pass the limit, so all instances together never
 * serve more than the limit; units still reserved are given back after `releaseAfterMs` idle, on
 * a period change, on `flush()` and on `close()`.
 *
 * A request counted against several counters (`consumeAll`) is served only when the units held
 * here cover it for every one of them, and then takes from all at once; otherwise it reserves
 * what each one lacks and tries again, and is refused, taking nothing, when Redis refuses one.
 * So no limit is ever passed either.
 */
export class Reservations {
	readonly #backend: Backend
	readonly #max: number
	readonly #releaseAfterMs: number
	/** First reservation of a key: a few units, so a short burst costs one round trip. */
	readonly #first: number
	readonly #slots = new Map<string, Slot>()
	/** Slots of past periods (or replaced ones) with units still to give back. */
	readonly #retired = new Set<Slot>()
	#timer: ReturnType<typeof setInterval> | undefined

	constructor(backend: Backend, options: Readonly<RedisBatchOptions>) {
		const { max, releaseAfterMs } = resolveBatchOptions(options)
		this.#backend = backend
		this.#max = max
		this.#releaseAfterMs = releaseAfterMs
		this.#first = Math.min(max, 8)
	}

	/**
	 * Same contract as `UsageCounter.consume`; `cost` is positive (reads go to the exact counter).
	 * Answers synchronously when the units reserved here decide it.
	 */
	consume(
		keyId: string,
		period: string,
		cost: number,
		limit: number,
		group: string | undefined,
	): ConsumeResult | Promise<ConsumeResult> {
		const slot = this.#slot(keyId, period, limit, group)
		// The hot path: enough units reserved here, under a limit no higher than today's. (A release in
		// flight has already taken its units out of `left`.)
		if (this.#covers(slot, cost, limit)) return this.#serve(slot, cost)
		// A key Redis recently refused (over its quota) is refused again without asking, until the next sweep.
		if (this.#refuses(slot, cost, limit)) return Promise.resolve({ allowed: false, used: usedOf(slot) })
		return this.#queue(slot, cost, limit, (covered) =>
			covered ? this.#serve(slot, cost) : { allowed: false, used: usedOf(slot) },
		)
	}

	/**
	 * Same contract as `UsageCounter.consumeAll`; `cost` is positive. Answers synchronously when
	 * the units reserved here cover the request for every counter.
	 */
	consumeAll(
		counters: readonly CounterLimit[],
		period: string,
		cost: number,
	): ConsumeAllResult | Promise<ConsumeAllResult> {
		const slots = counters.map(({ id, limit, group }) => this.#slot(id, period, limit, group))
		if (this.#coversAll(slots, counters, cost)) return this.#serveAll(slots, cost)
		if (this.#refusesOne(slots, counters, cost)) return Promise.resolve(refusal(slots))
		return this.#slowAll(slots, counters, cost)
	}

	/**
	 * The slot of `keyId` in `period`; a slot of another period (or, never so with keyward, of
	 * another group) is retired (its units go back).
	 */
	#slot(keyId: string, period: string, limit: number, group: string | undefined): Slot {
		let slot = this.#slots.get(keyId)
		if (slot === undefined || slot.period !== period || slot.group !== group) {
			if (slot !== undefined) this.#retire(slot)
			slot = {
				keyId,
				group,
				period,
				key: this.#backend.keyFor(keyId, period, group),
				left: 0,
				counted: 0,
				limit,
				chunk: this.#first,
				active: false,
				pending: undefined,
				waiting: 0,
				refusedRoom: -1,
				refusedLimit: 0,
			}
			this.#slots.set(keyId, slot)
			this.#timer ??= this.#startTimer()
		}
		return slot
	}

	/** Units reserved here for `keyId` in `period` and not served yet (counted in Redis, not used). */
	unserved(keyId: string, period: string): number {
		const slot = this.#slots.get(keyId)
		let units = slot !== undefined && slot.period === period ? slot.left : 0
		for (const old of this.#retired) if (old.keyId === keyId && old.period === period) units += old.left
		return units
	}

	/** Give back every unit reserved here, and forget refusals. */
	async flush(): Promise<void> {
		const slots = [...this.#slots.values(), ...this.#retired]
		for (const slot of slots) slot.refusedRoom = -1
		const results = await Promise.allSettled(slots.map((slot) => this.#release(slot)))
		const failed = results.find((r) => r.status === 'rejected')
		if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
	}

	/** Stop the timer and give everything back. */
	async close(): Promise<void> {
		if (this.#timer !== undefined) clearInterval(this.#timer)
		this.#timer = undefined
		await this.flush()
		this.#slots.clear()
		this.#retired.clear()
	}

	/** Whether the units held in `slot` cover `cost` under `limit` (a lower limit gives them back first). */
	#covers(slot: Slot, cost: number, limit: number): boolean {
		return slot.left >= cost && limit >= slot.limit
	}

	#refuses(slot: Slot, cost: number, limit: number): boolean {
		return slot.refusedRoom >= 0 && cost - slot.left > slot.refusedRoom && limit <= slot.refusedLimit
	}

	#coversAll(slots: readonly Slot[], counters: readonly CounterLimit[], cost: number): boolean {
		return slots.every((slot, i) => this.#covers(slot, cost, (counters[i] as CounterLimit).limit))
	}

	#refusesOne(slots: readonly Slot[], counters: readonly CounterLimit[], cost: number): boolean {
		return slots.some((slot, i) => this.#refuses(slot, cost, (counters[i] as CounterLimit).limit))
	}

	#serve(slot: Slot, cost: number): ConsumeResult {
		this.#take(slot, cost)
		return { allowed: true, used: usedOf(slot) }
	}

	/** Take `cost` from every slot at once (a counter given twice is counted once). */
	#serveAll(slots: readonly Slot[], cost: number): ConsumeAllResult {
		for (let i = 0; i < slots.length; i++) {
			const slot = slots[i] as Slot
			if (slots.indexOf(slot) === i) this.#take(slot, cost)
		}
		return { allowed: true, used: slots.map(usedOf) }
	}

	#take(slot: Slot, cost: number): void {
		slot.left -= cost
		slot.active = true
		// Reserve the next units before these run out: a busy key waits for Redis only when they run
		// out before the reply comes.
		if (slot.left * 4 <= slot.chunk && slot.pending === undefined && slot.refusedRoom < 0)
			this.#prefetch(slot)
	}

	#prefetch(slot: Slot): void {
		const pending = this.#reserveAhead(slot)
			.catch(noop)
			.finally(() => {
				if (slot.pending === pending) slot.pending = undefined
			})
		slot.pending = pending
	}

	/** Top the slot up to its reservation size in the background; never more than `maxReservation` held. */
	async #reserveAhead(slot: Slot): Promise<void> {
		const want = slot.chunk - slot.left
		if (want <= 0) return
		const [granted, counted] = pair(
			await this.#backend.run(RESERVE, slot.key, [
				'0',
				String(want),
				String(slot.limit),
				this.#backend.expiry(slot.period),
			]),
		)
		// Nothing left to reserve ahead: serve what is held, then ask Redis only after the next sweep.
		if (granted === 0) this.#refused(slot, slot.limit, counted)
		else this.#granted(slot, granted, counted)
	}

	#refused(slot: Slot, limit: number, counted: number): void {
		slot.refusedRoom = limit - counted
		slot.refusedLimit = limit
		slot.counted = counted
	}

	#granted(slot: Slot, granted: number, counted: number): void {
		slot.left += granted
		slot.counted = counted
		slot.chunk = Math.min(this.#max, slot.chunk * 2)
	}

	/** Resolves once no reservation for `keyId` is in flight, so that a read sees what it reserved. */
	async settled(keyId: string): Promise<void> {
		const slot = this.#slots.get(keyId)
		while (slot?.pending !== undefined) await slot.pending.then(noop, noop)
	}

	/**
	 * Get `slot` to cover `cost` under `limit`, then call `done` with whether it does (false: Redis
	 * refused), before any other caller queued on the slot runs. Waits for the reservation in flight
	 * first: it may bring enough for this request too.
	 */
	async #queue<T>(slot: Slot, cost: number, limit: number, done: (covered: boolean) => T): Promise<T> {
		while (slot.pending !== undefined) {
			slot.waiting += cost
			try {
				await slot.pending.then(noop, noop)
			} finally {
				slot.waiting -= cost
			}
			if (this.#covers(slot, cost, limit)) return done(true)
			if (this.#refuses(slot, cost, limit)) return done(false)
		}
		const work = this.#reserve(slot, cost, limit).then(done)
		const pending = work.then(noop, noop).finally(() => {
			if (slot.pending === pending) slot.pending = undefined
		})
		slot.pending = pending
		return work
	}

	/**
	 * Reserve what each counter lacks (all at once), then serve the request if the units held cover
	 * it for every counter. Other requests may have taken units meanwhile: then reserve again. A
	 * counter Redis refuses refuses the request; what was reserved for the others stays here for
	 * later requests.
	 */
	async #slowAll(
		slots: readonly Slot[],
		counters: readonly CounterLimit[],
		cost: number,
	): Promise<ConsumeAllResult> {
		for (;;) {
			const covered = await Promise.all(
				slots.map((slot, i) => {
					const { limit } = counters[i] as CounterLimit
					return this.#covers(slot, cost, limit) || this.#queue(slot, cost, limit, (ok) => ok)
				}),
			)
			if (covered.includes(false)) return refusal(slots)
			if (this.#coversAll(slots, counters, cost)) return this.#serveAll(slots, cost)
			if (this.#refusesOne(slots, counters, cost)) return refusal(slots)
		}
	}

	/** Reserve at least what `slot` lacks for `cost` under `limit`; false when Redis refused. */
	async #reserve(slot: Slot, cost: number, limit: number): Promise<boolean> {
		// A lowered limit: units reserved under the old one go back before anything is served.
		if (limit < slot.limit && slot.left > 0) await this.#giveBack(slot)
		const need = cost - slot.left
		// Enough for everyone queued behind us too, up to the reservation size.
		const want = Math.max(need, Math.min(this.#max, Math.max(slot.chunk, need + slot.waiting)))
		const [granted, counted] = pair(
			await this.#backend.run(RESERVE, slot.key, [
				String(need),
				String(want),
				String(limit),
				this.#backend.expiry(slot.period),
			]),
		)
		if (granted === 0) {
			this.#refused(slot, limit, counted)
			return false
		}
		slot.refusedRoom = -1
		slot.limit = limit
		this.#granted(slot, granted, counted)
		return true
	}

	/** Give back a slot's unserved units once nothing else is in flight for it. */
	async #release(slot: Slot): Promise<void> {
		while (slot.pending !== undefined) await slot.pending.then(noop, noop)
		if (slot.left === 0) {
			this.#retired.delete(slot)
			return
		}
		const pending = this.#giveBack(slot).finally(() => {
			if (slot.pending === pending) slot.pending = undefined
		})
		slot.pending = pending
		await pending
		this.#retired.delete(slot)
	}

	async #giveBack(slot: Slot): Promise<void> {
		const units = slot.left
		slot.left = 0
		slot.chunk = this.#first
		try {
			await this.#backend.run(RELEASE, slot.key, [String(units)])
			slot.counted -= units
		} catch (error) {
			// Still counted in Redis, so still ours to serve or to give back later.
			slot.left += units
			throw error
		}
	}

	#retire(slot: Slot): void {
		this.#slots.delete(slot.keyId)
		if (slot.left > 0 || slot.pending !== undefined) {
			this.#retired.add(slot)
			this.#release(slot).catch(noop)
		}
	}

	#startTimer(): ReturnType<typeof setInterval> {
		const timer = setInterval(() => this.#sweep(), this.#releaseAfterMs)
		timer.unref()
		return timer
	}

	/** Give back what sat unused for a whole interval, and forget idle keys. */
	#sweep(): void {
		for (const slot of this.#slots.values()) {
			slot.refusedRoom = -1
			if (slot.active) {
				slot.active = false
				continue
			}
			if (slot.pending !== undefined) continue
			if (slot.left === 0) this.#slots.delete(slot.keyId)
			else this.#release(slot).catch(noop)
		}
		for (const slot of this.#retired) this.#release(slot).catch(noop)
		if (this.#slots.size === 0 && this.#retired.size === 0 && this.#timer !== undefined) {
			clearInterval(this.#timer)
			this.#timer = undefined
		}
	}
}

/** Units of `slot`'s counter used, as of the last reservation: the counter less the units held here. */
function usedOf(slot: Slot): number {
	return slot.counted - slot.left
}

function refusal(slots: readonly Slot[]): ConsumeAllResult {
	return { allowed: false, used: slots.map(usedOf) }
}
