import {
	pgBouncerUrl,
	pgUrl,
	probePgBouncer,
	probePostgres,
	probeRedisCluster,
	redisClusterNodes,
	useService,
} from '@keyward/internal-testing'
import { describe, expect, it } from 'vitest'
import { FLEET_PLAN } from '../dist/keys.js'
import { summarize, summaryTable } from '../dist/report.js'
import { runFleet } from '../dist/scenario.js'

const available =
	useService(await probePostgres()) &&
	useService(await probePgBouncer()) &&
	useService(await probeRedisCluster())

describe.skipIf(!available)(
	'a fleet: 4 processes, records through PgBouncer, batched counts on Redis Cluster',
	() => {
		it('creates 10,000 keys, never serves over a quota and exactly each quota in all, and every process sees every change', async () => {
			const plan = FLEET_PLAN
			const services = { pooledUrl: pgBouncerUrl, directUrl: pgUrl, clusterNodes: redisClusterNodes }
			const { report } = await runFleet(services, plan, { log: (line) => console.log(`[fleet] ${line}`) })
			const summary = summarize(report)
			console.log(`[fleet]\n${summaryTable(summary)}`)

			// Every key works on every instance, read through the pooler.
			expect(report.cold.refusals).toEqual(new Map())
			// The burst is refused only for quotas, and never serves more than a limit.
			for (const label of report.burst.refusals.keys()) expect(label).toMatch(/^429 (owner_)?quota_exceeded$/)
			for (const n of report.afterBurst.keys) expect(n).toBeLessThanOrEqual(plan.keyLimit)
			for (const n of report.afterBurst.owners) expect(n).toBeLessThanOrEqual(plan.ownerLimit)
			// Once the instances gave their reserved units back, exactly each limit is served and counted.
			expect(summary.finalServed).toEqual({ keys: [plan.keyLimit], owners: [plan.ownerLimit] })
			expect(summary.finalCounted).toEqual({ keys: [plan.keyLimit], owners: [plan.ownerLimit] })
			expect(report.served.keys).toHaveLength(plan.quotaKeys)
			expect(report.served.owners).toHaveLength(plan.quotaOwners)
			// Every change reached every instance (within the run's bound: 5 s).
			expect(report.propagation.revocation).toHaveLength(plan.samples * plan.processes)
			expect(report.propagation['owner-disabled']).toHaveLength(plan.samples * plan.processes)
			for (const ms of [...report.propagation.revocation, ...report.propagation['owner-disabled']])
				expect(ms).toBeLessThan(5000)
		}, 240_000)
	},
)
