import { type Fleet, type FleetServices, startFleet } from './fleet.js'
import { createKeys, type FleetKey, type FleetPlan, type KeySet } from './keys.js'
import { type ChangeKind, timeChange } from './propagation.js'
import { burst, coldPass, drain, type Served, type TrafficResult } from './traffic.js'

/** Requests served and counted per key with a quota and per owner with one, in key and owner order. */
export interface Totals {
	readonly keys: number[]
	readonly owners: number[]
}

/** Everything a fleet run did and measured. */
export interface FleetReport {
	readonly plan: FleetPlan
	/** Creating the keys. */
	readonly createMs: number
	readonly cold: TrafficResult
	readonly burst: TrafficResult
	/** Served once the burst was over (at most each limit). */
	readonly afterBurst: Totals
	/** Stopping every instance gracefully (giving reserved units back) and starting new ones. */
	readonly restartMs: number
	readonly drain: TrafficResult
	/** Served in all, once every limit was spent (exactly each limit). */
	readonly served: Totals
	/** The counters in Redis once every instance stopped (exactly each limit). */
	readonly counted: Totals
	/** Per change and instance, milliseconds from the change until the instance refused. */
	readonly propagation: Record<ChangeKind, number[]>
	/** Per change, milliseconds the change call took (the write to the store). */
	readonly changes: Record<ChangeKind, number[]>
	/**
	 * Per change and instance, milliseconds from the end of the change call until the instance
	 * refused: the announcement's way through Redis (0 when it was there before the call returned).
	 */
	readonly afterChange: Record<ChangeKind, number[]>
}

/** Options of {@link runFleet}. */
export interface RunOptions<T> {
	/** Progress lines. */
	log?: ((line: string) => void) | undefined
	/** Runs on the fleet's full tables and counters before they are dropped. */
	measure?: ((fleet: Fleet, keys: KeySet) => Promise<T>) | undefined
	/** Longest an instance may take to see a change before the run fails. @defaultValue 5000 */
	withinMs?: number | undefined
}

function totals(keys: KeySet, served: Served): Totals {
	return {
		keys: keys.quota.map((k) => served.keys.get(k.id) ?? 0),
		owners: [...keys.byQuotaOwner.keys()].map((owner) => served.owners.get(owner) ?? 0),
	}
}

/** Keys for change samples: each of another owner, so that no change hides another. */
function sampleKeys(keys: KeySet, count: number): Record<ChangeKind, FleetKey[]> {
	const owners = new Set<string>()
	const pick = () => {
		const picked: FleetKey[] = []
		for (const k of keys.plain) {
			if (picked.length === count) break
			if (owners.has(k.owner)) continue
			owners.add(k.owner)
			picked.push(k)
		}
		return picked
	}
	return { revocation: pick(), 'owner-disabled': pick() }
}

/**
 * The fleet scenario: start `plan.processes` instances, create the keys, verify each once, burst
 * over the quotas, restart the instances (they give reserved units back), spend what is left,
 * time revocations and owner switches as each instance sees them, stop the instances and read the
 * counters. Everything is dropped at the end.
 */
export async function runFleet<T = undefined>(
	services: FleetServices,
	plan: FleetPlan,
	options: RunOptions<T> = {},
): Promise<{ report: FleetReport; measured: T | undefined }> {
	const log = options.log ?? (() => {})
	const fleet = await startFleet(services, plan.processes)
	try {
		log(`${plan.processes} instances on ${fleet.servers.join(', ')}`)
		const keys = await createKeys(fleet.keyward, plan)
		log(`created ${plan.keys} keys in ${Math.round(keys.createMs)} ms`)
		const served: Served = { keys: new Map(), owners: new Map() }
		const cold = await coldPass(keys, fleet.servers, plan, served)
		log(`verified every key once in ${Math.round(cold.ms)} ms`)
		const burstResult = await burst(keys, fleet.servers, plan, served)
		const afterBurst = totals(keys, served)
		log(`burst of ${burstResult.requests} requests in ${Math.round(burstResult.ms)} ms`)
		const restarting = performance.now()
		await fleet.restart()
		const restartMs = performance.now() - restarting
		const drained = await drain(keys, fleet.servers[0] as string, served)
		log(`drained the rest with ${drained.requests} requests`)
		const propagation: Record<ChangeKind, number[]> = { revocation: [], 'owner-disabled': [] }
		const changes: Record<ChangeKind, number[]> = { revocation: [], 'owner-disabled': [] }
		const afterChange: Record<ChangeKind, number[]> = { revocation: [], 'owner-disabled': [] }
		const samples = sampleKeys(keys, plan.samples)
		for (const kind of ['revocation', 'owner-disabled'] as const) {
			for (const k of samples[kind]) {
				const timing = await timeChange(fleet.keyward, fleet.servers, k, kind, options.withinMs ?? 5000)
				changes[kind].push(timing.changeMs)
				propagation[kind].push(...timing.seenMs)
				afterChange[kind].push(...timing.seenMs.map((ms) => Math.max(0, ms - timing.changeMs)))
			}
			log(`timed ${samples[kind].length} of ${kind} on ${plan.processes} instances`)
		}
		await fleet.stop()
		const counted: Totals = {
			keys: await Promise.all(keys.quota.map(async (k) => (await fleet.keyward.usage(k.id)).used)),
			owners: await Promise.all(
				[...keys.byQuotaOwner.keys()].map(async (owner) => (await fleet.keyward.ownerUsage(owner)).used),
			),
		}
		const measured = options.measure === undefined ? undefined : await options.measure(fleet, keys)
		const report: FleetReport = {
			plan,
			createMs: keys.createMs,
			cold,
			burst: burstResult,
			afterBurst,
			restartMs,
			drain: drained,
			served: totals(keys, served),
			counted,
			propagation,
			changes,
			afterChange,
		}
		return { report, measured }
	} finally {
		await fleet.close()
	}
}
