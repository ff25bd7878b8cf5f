import { Agent, get } from 'node:http'
import { type FleetKey, type FleetPlan, inParallel, type KeySet } from './keys.js'

/** An answer of an instance: status and refusal code. */
export interface Answer {
	readonly status: number
	readonly code: string | undefined
}

// node:http with kept-alive connections: a lighter load generator than fetch, which matters when
// it shares the machine's cores with the instances it loads.
const agent = new Agent({ keepAlive: true, maxSockets: 256 })

/** `GET <server>/api/hello` with `key`. */
export function call(server: string, key: string): Promise<Answer> {
	return new Promise((resolve, reject) => {
		const request = get(
			`${server}/api/hello`,
			{ agent, headers: { authorization: `Apikey ${key}` } },
			(response) => {
				let text = ''
				response.setEncoding('utf8')
				response.on('data', (chunk: string) => {
					text += chunk
				})
				response.on('end', () => {
					try {
						const body = JSON.parse(text) as { code?: string }
						resolve({ status: response.statusCode ?? 0, code: body.code })
					} catch (error) {
						reject(error)
					}
				})
				response.on('error', reject)
			},
		)
		request.on('error', reject)
	})
}

/** Requests served per key with a quota and per owner with one. */
export interface Served {
	readonly keys: Map<string, number>
	readonly owners: Map<string, number>
}

/** Answers that were not 200, by `status code`. */
export type Refusals = Map<string, number>

/** What a run of requests did, and how fast. */
export interface TrafficResult {
	readonly requests: number
	readonly ms: number
	readonly refusals: Refusals
}

function countServed(served: Served, k: FleetKey): void {
	if (k.role === 'quota') served.keys.set(k.id, (served.keys.get(k.id) ?? 0) + 1)
	if (k.role === 'owner-quota') served.owners.set(k.owner, (served.owners.get(k.owner) ?? 0) + 1)
}

/** Send `requests` (a key and an instance each), `concurrency` at a time; count what was served. */
async function send(
	requests: readonly [FleetKey, string][],
	concurrency: number,
	served: Served,
): Promise<TrafficResult> {
	const refusals: Refusals = new Map()
	const started = performance.now()
	await inParallel(requests.length, concurrency, async (i) => {
		const [k, server] = requests[i] as [FleetKey, string]
		const answer = await call(server, k.key)
		if (answer.status === 200) countServed(served, k)
		else {
			const label = `${answer.status} ${answer.code}`
			refusals.set(label, (refusals.get(label) ?? 0) + 1)
		}
	})
	return { requests: requests.length, ms: performance.now() - started, refusals }
}

/** A random order (Fisher-Yates), so that no instance or key sees its requests in one run. */
function shuffle<T>(items: T[]): T[] {
	for (let i = items.length - 1; i > 0; i--) {
		const j = Math.floor(Math.random() * (i + 1))
		;[items[i], items[j]] = [items[j] as T, items[i] as T]
	}
	return items
}

/** Every key once, on the instances in turn: each is a cache miss read through the pooler. */
export function coldPass(keys: KeySet, servers: readonly string[], plan: FleetPlan, served: Served) {
	const requests = keys.all.map((k, i): [FleetKey, string] => [k, servers[i % servers.length] as string])
	return send(shuffle(requests), plan.concurrency, served)
}

/**
 * `burstFactor` times each limit at once, spread over the instances: every key with a quota, and
 * every owner with one through all of its keys.
 */
export function burst(keys: KeySet, servers: readonly string[], plan: FleetPlan, served: Served) {
	const requests: [FleetKey, string][] = []
	let n = 0
	const server = () => servers[n++ % servers.length] as string
	for (const k of keys.quota)
		for (let i = 0; i < plan.burstFactor * plan.keyLimit; i++) requests.push([k, server()])
	for (const owned of keys.byQuotaOwner.values())
		for (let i = 0; i < plan.burstFactor * plan.ownerLimit; i++)
			requests.push([owned[i % owned.length] as FleetKey, server()])
	return send(shuffle(requests), plan.concurrency, served)
}

/**
 * Spend what is left of every limit through one instance (alone, it refuses only at a limit):
 * each key with a quota, and each owner with one through its keys in turn, until refused.
 */
export async function drain(keys: KeySet, server: string, served: Served): Promise<TrafficResult> {
	const refusals: Refusals = new Map()
	let requests = 0
	const started = performance.now()
	const until = async (next: () => FleetKey) => {
		for (;;) {
			const k = next()
			const answer = await call(server, k.key)
			requests++
			if (answer.status !== 200) {
				const label = `${answer.status} ${answer.code}`
				refusals.set(label, (refusals.get(label) ?? 0) + 1)
				return
			}
			countServed(served, k)
		}
	}
	for (const k of keys.quota) await until(() => k)
	for (const owned of keys.byQuotaOwner.values()) {
		let i = 0
		await until(() => owned[i++ % owned.length] as FleetKey)
	}
	return { requests, ms: performance.now() - started, refusals }
}
