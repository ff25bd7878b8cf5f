import type { Keyward } from '@keyward/core'

/** The shape of a fleet's key set and workload. */
export interface FleetPlan {
	/** Server processes. */
	processes: number
	/** Keys in all. */
	keys: number
	/** Owners; key `i` belongs to owner `i % owners`. */
	owners: number
	/** Owners with a shared monthly quota (the first ones), and its size. */
	quotaOwners: number
	ownerLimit: number
	/** Keys with a monthly quota of their own (of owners without one), and its size. */
	quotaKeys: number
	keyLimit: number
	/** A burst sends this many times each limit. */
	burstFactor: number
	/** Revocations and owner switches timed, each seen by every process. */
	samples: number
	/** Requests in flight at once from the load generator. */
	concurrency: number
	/** createKey calls in flight at once. */
	createConcurrency: number
}

/** The plan of the fleet test and of `pnpm --filter @keyward/example-fleet fleet`. */
export const FLEET_PLAN: FleetPlan = {
	processes: 4,
	keys: 10_000,
	owners: 1_000,
	quotaOwners: 20,
	ownerLimit: 50,
	quotaKeys: 100,
	keyLimit: 20,
	burstFactor: 3,
	samples: 50,
	concurrency: 64,
	createConcurrency: 32,
}

/** A key the fleet created: the secret, its id and owner, and the role it plays. */
export interface FleetKey {
	readonly key: string
	readonly id: string
	readonly owner: string
	readonly role: 'quota' | 'owner-quota' | 'plain'
}

/** The fleet's keys, by role. */
export interface KeySet {
	readonly all: readonly FleetKey[]
	/** Keys with a quota of their own. */
	readonly quota: readonly FleetKey[]
	/** Keys of each owner with a shared quota. */
	readonly byQuotaOwner: ReadonlyMap<string, readonly FleetKey[]>
	/** Keys of neither, for revocation and owner-switch samples. */
	readonly plain: readonly FleetKey[]
	/** Milliseconds creating the keys took (owners' records excluded). */
	readonly createMs: number
}

export const ownerName = (i: number): string => `customer-${String(i).padStart(5, '0')}`

/** Run `task(i)` for `i` in `0..count-1`, `concurrency` at a time. */
export async function inParallel(
	count: number,
	concurrency: number,
	task: (i: number) => Promise<void>,
): Promise<void> {
	let next = 0
	const worker = async () => {
		while (next < count) await task(next++)
	}
	await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}

/**
 * Give the first `quotaOwners` owners a shared quota, then create `keys` keys with
 * `createConcurrency` `createKey` calls in flight (each one statement through the pooler). Key
 * `i` belongs to owner `i % owners`; the first `quotaKeys` keys of other owners get a quota.
 */
export async function createKeys(keyward: Keyward, plan: FleetPlan): Promise<KeySet> {
	for (let o = 0; o < plan.quotaOwners; o++)
		await keyward.setOwner(ownerName(o), { monthlyQuota: plan.ownerLimit })
	const roles: FleetKey['role'][] = []
	let quota = 0
	for (let i = 0; i < plan.keys; i++) {
		if (i % plan.owners < plan.quotaOwners) roles.push('owner-quota')
		else if (quota < plan.quotaKeys) {
			roles.push('quota')
			quota++
		} else roles.push('plain')
	}
	const all: FleetKey[] = new Array(plan.keys)
	const started = performance.now()
	await inParallel(plan.keys, plan.createConcurrency, async (i) => {
		const role = roles[i] as FleetKey['role']
		const owner = ownerName(i % plan.owners)
		const monthlyQuota = role === 'quota' ? plan.keyLimit : null
		const { key, info } = await keyward.createKey({ owner, monthlyQuota, name: `key ${i}` })
		all[i] = { key, id: info.id, owner, role }
	})
	const createMs = performance.now() - started
	const byQuotaOwner = new Map<string, FleetKey[]>()
	for (const k of all)
		if (k.role === 'owner-quota') byQuotaOwner.set(k.owner, [...(byQuotaOwner.get(k.owner) ?? []), k])
	return {
		all,
		quota: all.filter((k) => k.role === 'quota'),
		byQuotaOwner,
		plain: all.filter((k) => k.role === 'plain'),
		createMs,
	}
}
