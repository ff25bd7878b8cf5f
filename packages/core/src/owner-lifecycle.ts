import { currentAuditStamp } from './audit-context.js'
import { KeywardError } from './errors.js'
import type { EventHub } from './events.js'
import type { PeriodUsage, UsageQuery } from './lifecycle-types.js'
import { checkOwnerPatch, isOwnerRecord, ownerCounterId, toOwnerInfo } from './owners.js'
import type { QuotaCalendar, QuotaPeriod } from './quota-period.js'
import { checkFields, checkText } from './records.js'
import type { StoreBoundary } from './store-boundary.js'
import type { KeyStore, UsageCounter } from './store-types.js'
import type { OwnerInfo, OwnerPatch } from './types.js'

/** Account operations of a keyward: the owner records behind keys. */
export interface OwnerLifecycle {
	/**
	 * Create or change the record of owner `id`: the scopes all its keys may use (`null`: not
	 * restricted), a monthly quota they share (`null`: none), `disabled`, `metadata`. Takes effect
	 * at once on this instance and, through the invalidation channel, on the others.
	 */
	setOwner(id: string, patch: Readonly<OwnerPatch>): Promise<OwnerInfo>
	/** The record of owner `id`, or `null` when it has none. */
	getOwner(id: string): Promise<OwnerInfo | null>
	/** Owner records by id, a page at a time (`after`: the last id of the previous page). */
	listOwners(query?: { after?: string | undefined; limit?: number | undefined }): Promise<OwnerInfo[]>
	/** The owner's shared usage in a period: all its keys together, against its record's quota. */
	ownerUsage(id: string, query?: Readonly<UsageQuery>): Promise<PeriodUsage>
}

/** What the owner operations need from the keyward that wires them. */
export interface OwnerLifecycleDeps {
	readonly store: KeyStore
	readonly usage: UsageCounter
	readonly boundary: StoreBoundary
	readonly calendar: QuotaCalendar
	readonly events: EventHub
	readonly now: () => number
	/** Owner `id` changed: forget it here and tell the other instances. */
	changed(id: string): void
}

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/

/** The period `query` names (its id is the month it starts in), or the current one. */
export function periodOf(
	calendar: QuotaCalendar,
	nowMs: number,
	query: Readonly<UsageQuery> = {},
): QuotaPeriod {
	const wanted = query.period
	if (wanted === undefined) return calendar(nowMs)
	if (typeof wanted !== 'string' || !PERIOD.test(wanted)) {
		throw new KeywardError('invalid_argument', 'period must be a period id such as "2026-10"')
	}
	// Late on the 28th, whatever the time zone, lies in the period that starts in that month
	// (anchor days are 1 to 28).
	const [year, month] = wanted.split('-').map(Number) as [number, number]
	return calendar(Date.UTC(year, month - 1, 28, 23, 59))
}

/** The usage of counter `id` (of the owner `group`) in `period` against `limit`. */
export async function readUsage(
	deps: Pick<OwnerLifecycleDeps, 'usage' | 'boundary'>,
	id: string,
	group: string,
	period: QuotaPeriod,
	limit: number | null,
): Promise<PeriodUsage> {
	const { used } = await deps.boundary.call(() =>
		deps.usage.consume(id, period.id, 0, Number.MAX_SAFE_INTEGER, group),
	)
	const remaining = limit === null ? null : Math.max(0, limit - used)
	return { period: period.id, used, limit, remaining, resetAt: period.resetAt }
}

/** The owner half of a keyward. */
export function createOwnerLifecycle(deps: OwnerLifecycleDeps): OwnerLifecycle {
	const { store, boundary } = deps
	const ownerId = (id: unknown) => checkText(id, 'owner', 256, true) as string

	async function getOwner(id: string): Promise<OwnerInfo | null> {
		const record: unknown = await boundary.call(() => store.getOwner(ownerId(id)))
		if (record === null) return null
		if (!isOwnerRecord(record)) throw new KeywardError('store_unavailable', 'Key store unavailable')
		return toOwnerInfo(record)
	}

	return {
		getOwner,
		async setOwner(id, patch) {
			const checked = ownerId(id)
			const changes = checkOwnerPatch(patch)
			if (typeof changes.monthlyQuota === 'number' && deps.usage.consumeAll === undefined) {
				throw new KeywardError(
					'invalid_argument',
					'The usage counter cannot count a quota shared by an owner',
				)
			}
			const at = new Date(deps.now())
			const owner = toOwnerInfo(
				await boundary.call(() => store.setOwner(checked, changes, at, { audit: currentAuditStamp() })),
			)
			deps.changed(checked)
			deps.events.emit('owner.changed', { owner, at })
			return owner
		},
		async listOwners(query = {}) {
			checkFields(query, 'listOwners query')
			const limit = query.limit ?? 100
			if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
				throw new KeywardError('invalid_argument', 'limit must be an integer from 1 to 1000')
			}
			const after = query.after === undefined ? undefined : ownerId(query.after)
			const owners = await boundary.call(() => store.listOwners({ after, limit }))
			return owners.map(toOwnerInfo)
		},
		async ownerUsage(id, query = {}) {
			const owner = await getOwner(id)
			const period = periodOf(deps.calendar, deps.now(), query)
			const group = ownerId(id)
			return readUsage(deps, ownerCounterId(group), group, period, owner?.monthlyQuota ?? null)
		},
	}
}
