import type { UsageHistory } from '@keyward/core/management'

/** Characters of the longest bar. */
const WIDTH = 40
const numbers = new Intl.NumberFormat('en')

/** `2026-11-15` for a day bucket, `2026-11-15 09:00` for an hour (UTC). */
function label(start: Date, granularity: UsageHistory['granularity']): string {
	const iso = start.toISOString()
	return granularity === 'day' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`
}

/** Characters for `count` requests at `unit` requests a character: any request shows. */
function chars(count: number, unit: number): number {
	return count === 0 ? 0 : Math.max(1, Math.round(count / unit))
}

/**
 * A bar chart of `history` in plain characters, one line per bucket, oldest first: `#` for
 * verifications that succeeded, `x` for refusals, then the count. A line of totals by outcome and
 * a legend follow.
 * @example
 * 2026-11-14  ##############xx                          123  (8 refused)
 */
export function historyChart(history: UsageHistory): string {
	const most = Math.max(0, ...history.buckets.map((b) => b.requests))
	const unit = Math.max(1, Math.ceil(most / WIDTH))
	const digits = numbers.format(most).length
	const lines = history.buckets.map((bucket) => {
		const bar = '#'.repeat(chars(bucket.ok, unit)) + 'x'.repeat(chars(bucket.refused, unit))
		const refused = bucket.refused === 0 ? '' : `  (${numbers.format(bucket.refused)} refused)`
		const count = numbers.format(bucket.requests).padStart(digits)
		return `${label(bucket.start, history.granularity)}  ${bar.padEnd(WIDTH + 1)} ${count}${refused}`
	})
	const { total } = history
	const byOutcome = Object.entries(total.outcomes)
		.filter(([outcome]) => outcome !== 'ok')
		.sort(([, a], [, b]) => (b as number) - (a as number))
		.map(([outcome, count]) => `${outcome} ${numbers.format(count as number)}`)
	lines.push(
		`Total ${numbers.format(total.requests)} ${total.requests === 1 ? 'request' : 'requests'}: ` +
			`${numbers.format(total.ok)} ok, ${numbers.format(total.refused)} refused` +
			`${byOutcome.length === 0 ? '' : ` (${byOutcome.join(', ')})`}.`,
	)
	lines.push(
		`# ok, x refused; one character is ${unit === 1 ? 'one request' : `up to ${numbers.format(unit)} requests`}.`,
	)
	return lines.join('\n')
}

/** The end of the UTC day of `nowMs`: the `to` of a history of whole days up to today. */
export function endOfDay(nowMs: number): Date {
	const day = 86_400_000
	return new Date(Math.floor(nowMs / day) * day + day)
}
