import { probePostgresProtocol, readUntil, redactUrl, type ServiceProbe, withSocket } from './services.js'

/**
 * Node URLs of the Redis Cluster for tests: `KEYWARD_REDIS_CLUSTER_NODES` (comma-separated), else
 * the three masters `scripts/services.sh` starts on 127.0.0.1:7001-7003.
 */
export const redisClusterNodes: string[] = (
	process.env.KEYWARD_REDIS_CLUSTER_NODES ??
	'redis://127.0.0.1:7001,redis://127.0.0.1:7002,redis://127.0.0.1:7003'
)
	.split(',')
	.map((url) => url.trim())
	.filter((url) => url !== '')

/** PgBouncer (transaction pooling, in front of PostgreSQL) for tests: `KEYWARD_PGBOUNCER_URL`, else the local one. */
export const pgBouncerUrl: string =
	process.env.KEYWARD_PGBOUNCER_URL ?? 'postgres://postgres@127.0.0.1:6432/test'

const clusterProbe = { name: 'Redis Cluster', envVar: 'KEYWARD_REDIS_CLUSTER_NODES' }

/** The reply to `CLUSTER INFO` from one node (authenticating first when the URL carries a password). */
async function clusterInfo(url: string, timeoutMs: number): Promise<string> {
	const parsed = new URL(url)
	const answer = await withSocket(parsed, 6379, timeoutMs, async (socket) => {
		// A bulk string: `$<length>\r\n<text>\r\n`, or an error line.
		const reply = readUntil(socket, (received) => {
			const text = received.toString('utf8')
			if (text.startsWith('-')) return text.includes('\r\n')
			const header = /^(?:\+OK\r\n)?\$(\d+)\r\n/.exec(text)
			return header !== null && received.length >= header[0].length + Number(header[1]) + 2
		})
		const password = decodeURIComponent(parsed.password)
		const user = decodeURIComponent(parsed.username) || 'default'
		if (password !== '') socket.write(`AUTH ${user} ${password}\r\n`)
		socket.write('CLUSTER INFO\r\n')
		return reply
	})
	return answer.toString('utf8')
}

/**
 * Ask every node of a Redis Cluster for `CLUSTER INFO`: usable when each one answers that the
 * cluster is `ok` (all slots served). A node missing, not in cluster mode, or seeing a failed
 * cluster is reported.
 */
export async function probeRedisCluster(
	nodes: readonly string[] = redisClusterNodes,
	timeoutMs = 2000,
): Promise<ServiceProbe> {
	const shown = nodes.map(redactUrl).join(',')
	if (nodes.length === 0) return { ...clusterProbe, url: shown, available: false, reason: 'no nodes given' }
	for (const node of nodes) {
		try {
			const info = await clusterInfo(node, timeoutMs)
			if (!info.includes('cluster_state:ok')) {
				const reason = `${redactUrl(node)} answered ${info.split('\r\n')[0]?.slice(0, 80) ?? ''}`
				return { ...clusterProbe, url: shown, available: false, reason }
			}
		} catch (error) {
			const reason = `${redactUrl(node)}: ${(error as Error).message}`
			return { ...clusterProbe, url: shown, available: false, reason }
		}
	}
	return { ...clusterProbe, url: shown, available: true }
}

/** Start a session through PgBouncer (the PostgreSQL startup exchange, answered by the pooler). */
export function probePgBouncer(url: string = pgBouncerUrl, timeoutMs = 2000): Promise<ServiceProbe> {
	return probePostgresProtocol({ name: 'PgBouncer', envVar: 'KEYWARD_PGBOUNCER_URL' }, url, timeoutMs)
}
