import type { FleetPlan } from './keys.js'
import { type Distribution, distribution } from './propagation.js'
import type { FleetReport } from './scenario.js'

/** The headline numbers of a run. */
export interface FleetSummary {
	readonly plan: FleetPlan
	readonly keysCreatedPerSecond: number
	readonly coldVerificationsPerSecond: number
	readonly burst: { requests: number; perSecond: number; refused: Record<string, number> }
	/** Most served for one key or owner after the burst, against its limit. */
	readonly burstMaxServed: { key: number; keyLimit: number; owner: number; ownerLimit: number }
	/** Served in all per key and per owner: the distinct values seen (one each: the limit). */
	readonly finalServed: { keys: number[]; owners: number[] }
	readonly finalCounted: { keys: number[]; owners: number[] }
	readonly restartMs: number
	readonly propagation: { revocation: Distribution; ownerDisabled: Distribution }
	/** How long the change calls themselves took (the store write, through the pooler). */
	readonly changes: { revocation: Distribution; ownerDisabled: Distribution }
	/** From the end of the change call to an instance's refusal: the announcement through Redis. */
	readonly afterChange: { revocation: Distribution; ownerDisabled: Distribution }
}

const rate = (count: number, ms: number) => Math.round((count / ms) * 1000)
const distinct = (values: readonly number[]) => [...new Set(values)].sort((a, b) => a - b)
const round = (d: Distribution): Distribution => ({
	samples: d.samples,
	p50: Math.round(d.p50 * 10) / 10,
	p99: Math.round(d.p99 * 10) / 10,
	max: Math.round(d.max * 10) / 10,
})

/** Boil a report down to what the guide quotes. */
export function summarize(report: FleetReport): FleetSummary {
	return {
		plan: report.plan,
		keysCreatedPerSecond: rate(report.plan.keys, report.createMs),
		coldVerificationsPerSecond: rate(report.cold.requests, report.cold.ms),
		burst: {
			requests: report.burst.requests,
			perSecond: rate(report.burst.requests, report.burst.ms),
			refused: Object.fromEntries(report.burst.refusals),
		},
		burstMaxServed: {
			key: Math.max(...report.afterBurst.keys),
			keyLimit: report.plan.keyLimit,
			owner: Math.max(...report.afterBurst.owners),
			ownerLimit: report.plan.ownerLimit,
		},
		finalServed: { keys: distinct(report.served.keys), owners: distinct(report.served.owners) },
		finalCounted: { keys: distinct(report.counted.keys), owners: distinct(report.counted.owners) },
		restartMs: Math.round(report.restartMs),
		propagation: {
			revocation: round(distribution(report.propagation.revocation)),
			ownerDisabled: round(distribution(report.propagation['owner-disabled'])),
		},
		changes: {
			revocation: round(distribution(report.changes.revocation)),
			ownerDisabled: round(distribution(report.changes['owner-disabled'])),
		},
		afterChange: {
			revocation: round(distribution(report.afterChange.revocation)),
			ownerDisabled: round(distribution(report.afterChange['owner-disabled'])),
		},
	}
}

/** The summary as a Markdown table. */
export function summaryTable(s: FleetSummary): string {
	const p = s.plan
	const rows: [string, string][] = [
		['instances', `${p.processes} processes (Express + @keyward/express), batched counting`],
		['keys', `${p.keys.toLocaleString('en')} of ${p.owners.toLocaleString('en')} owners`],
		[
			'keys created',
			`${s.keysCreatedPerSecond.toLocaleString('en')}/s (createKey, ${p.createConcurrency} at once)`,
		],
		['first verification of every key', `${s.coldVerificationsPerSecond.toLocaleString('en')}/s over HTTP`],
		[
			'burst',
			`${s.burst.requests.toLocaleString('en')} requests, ${s.burst.perSecond.toLocaleString('en')}/s`,
		],
		[
			'most served after the burst',
			`key ${s.burstMaxServed.key} of ${s.burstMaxServed.keyLimit}, owner ${s.burstMaxServed.owner} of ${s.burstMaxServed.ownerLimit}`,
		],
		[
			'served in all (each key, each owner)',
			`${s.finalServed.keys.join(', ')} of ${p.keyLimit}; ${s.finalServed.owners.join(', ')} of ${p.ownerLimit}`,
		],
		['counted in Redis', `${s.finalCounted.keys.join(', ')}; ${s.finalCounted.owners.join(', ')}`],
		['graceful restart of all instances', `${s.restartMs.toLocaleString('en')} ms`],
		['revokeKey call (the store write)', describe(s.changes.revocation)],
		['revocation seen by an instance, from the call', describe(s.propagation.revocation)],
		['revocation seen by an instance, after the call returned', describe(s.afterChange.revocation)],
		['setOwner call (the store write)', describe(s.changes.ownerDisabled)],
		['owner disabled, seen by an instance, from the call', describe(s.propagation.ownerDisabled)],
		['owner disabled, seen by an instance, after the call returned', describe(s.afterChange.ownerDisabled)],
	]
	return ['| measure | value |', '|---|---|', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n')
}

function describe(d: Distribution): string {
	return `p50 ${d.p50} ms, p99 ${d.p99} ms, max ${d.max} ms (${d.samples} samples)`
}
