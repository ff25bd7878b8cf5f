import type { RedisCommandClient } from './client.js'
import { type NodeRedisCluster, withTimeout } from './node-redis.js'

/** The key a command is routed by on a cluster: a script's first key, else the first argument. */
export function routingKey(args: readonly string[]): string | undefined {
	const name = args[0]?.toUpperCase()
	if (name === 'EVAL' || name === 'EVALSHA') return Number(args[2]) > 0 ? args[3] : undefined
	return args[1]
}

/**
 * Commands on a node-redis cluster: each goes to the master of its key's slot (node-redis follows
 * `MOVED` and `ASK`). `PUBLISH` has no key: every node forwards a message to the whole cluster, so
 * it goes to any master, and to the next one when that fails or has not answered within
 * `publishTimeoutMs`, so that one shard being down does not stop invalidations.
 */
export function clusterCommandClient(
	cluster: NodeRedisCluster,
	publishTimeoutMs: number,
): RedisCommandClient {
	let next = 0
	async function publish(args: string[]): Promise<unknown> {
		const masters = [...cluster.masters]
		let failure: unknown = new Error('no cluster node to publish on')
		for (let i = 0; i < masters.length; i++) {
			const node = masters[(next + i) % masters.length]
			if (node === undefined) continue
			try {
				const reply = await withTimeout(
					cluster.nodeClient(node).then((client) => client.sendCommand(args)),
					publishTimeoutMs,
				)
				next = (next + i + 1) % masters.length
				return reply
			} catch (error) {
				failure = error
			}
		}
		throw failure
	}
	return {
		sendCommand(args) {
			if (args[0]?.toUpperCase() === 'PUBLISH') return publish(args)
			return cluster.sendCommand(routingKey(args), false, args)
		},
	}
}
