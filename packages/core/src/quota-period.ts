/** How quota periods are cut. */
export interface QuotaPeriodOptions {
	/** IANA time zone whose calendar months are counted. @defaultValue 'UTC' */
	timeZone?: string | undefined
	/** Day of the month (1-28) on which a period starts, e.g. a billing date. @defaultValue 1 */
	anchorDay?: number | undefined
}

/** One quota period: counters are keyed by `id`. */
export interface QuotaPeriod {
	/** `'YYYY-MM'` of the month in which the period started. */
	id: string
	startsAt: Date
	resetAt: Date
}

interface Wall {
	y: number
	m: number // 1-12
	d: number
}

/** Computes the quota period containing an instant, caching the current one. */
export type QuotaCalendar = (nowMs: number) => QuotaPeriod

/** Build a quota calendar; throws `RangeError` for an unknown time zone or an anchor day outside 1-28. */
export function createQuotaCalendar(options: Readonly<QuotaPeriodOptions> = {}): QuotaCalendar {
	const timeZone = options.timeZone ?? 'UTC'
	const anchorDay = options.anchorDay ?? 1
	if (!Number.isInteger(anchorDay) || anchorDay < 1 || anchorDay > 28) {
		throw new RangeError('anchorDay must be an integer from 1 to 28')
	}
	const utc = timeZone === 'UTC' || timeZone === 'Etc/UTC'
	const format = utc
		? undefined
		: new Intl.DateTimeFormat('en-US', {
				timeZone,
				hourCycle: 'h23',
				year: 'numeric',
				month: 'numeric',
				day: 'numeric',
				hour: 'numeric',
				minute: 'numeric',
				second: 'numeric',
			})

	/** Offset (ms) of the zone at instant `t`: wall time minus UTC. */
	function offsetAt(t: number): number {
		if (format === undefined) return 0
		const parts: Record<string, number> = {}
		for (const p of format.formatToParts(new Date(t)))
			if (p.type !== 'literal') parts[p.type] = Number(p.value)
		const wall = Date.UTC(
			parts.year as number,
			(parts.month as number) - 1,
			parts.day as number,
			parts.hour as number,
			parts.minute as number,
			parts.second as number,
		)
		return wall - Math.floor(t / 1000) * 1000
	}

	function wallOf(t: number): Wall {
		const d = new Date(t + offsetAt(t))
		return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate() }
	}

	/** The instant of local midnight starting wall date y-m-d (DST-safe: re-checked once). */
	function instantOf(y: number, m: number, d: number): number {
		const guess = Date.UTC(y, m - 1, d)
		let t = guess - offsetAt(guess)
		t = guess - offsetAt(t)
		return t
	}

	function compute(nowMs: number): QuotaPeriod {
		const w = wallOf(nowMs)
		let y = w.y
		let m = w.m
		if (w.d < anchorDay) {
			m -= 1
			if (m === 0) {
				m = 12
				y -= 1
			}
		}
		const ny = m === 12 ? y + 1 : y
		const nm = m === 12 ? 1 : m + 1
		return {
			id: `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`,
			startsAt: new Date(instantOf(y, m, anchorDay)),
			resetAt: new Date(instantOf(ny, nm, anchorDay)),
		}
	}

	let cached: QuotaPeriod | undefined
	return function periodAt(nowMs) {
		if (cached !== undefined && nowMs >= cached.startsAt.getTime() && nowMs < cached.resetAt.getTime()) {
			return cached
		}
		cached = compute(nowMs)
		return cached
	}
}
