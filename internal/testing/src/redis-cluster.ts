import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { ServiceProbe } from './services.js'

const run = promisify(execFile)

/**
 * A Redis Cluster of its own for one test file, on free local ports, for fault tests that stop,
 * hang or fail over nodes without touching the shared cluster.
 */
export interface ThrowawayCluster {
	/** `redis://127.0.0.1:<port>` of every node, masters first (node `i` below is `nodes[i]`). */
	readonly nodes: readonly string[]
	readonly ports: readonly number[]
	/** Run `redis-cli` against node `i` and return its output, e.g. `cli(0, 'CLUSTER', 'INFO')`. */
	cli(i: number, ...args: string[]): Promise<string>
	/** The node that serves `key`'s hash slot now, as an index into `nodes`. */
	nodeOf(key: string): Promise<number>
	/** Freeze node `i` (SIGSTOP): its connections stay open and nothing is answered, as a hung host. */
	pause(i: number): void
	/** Thaw node `i` (SIGCONT). */
	resume(i: number): void
	/** Kill node `i` (SIGKILL), as a crashed host; its port refuses connections. */
	kill(i: number): Promise<void>
	/** Start node `i` again on its port; it rejoins the cluster from its `nodes.conf`. */
	restart(i: number): Promise<void>
	/**
	 * Resolves once every running node reports `cluster_state:ok` and every replica is in sync with
	 * its master; rejects after `timeoutMs`.
	 */
	healthy(timeoutMs?: number): Promise<void>
	/** Stop every node and delete the data directory. */
	close(): Promise<void>
}

/** Options of {@link startRedisCluster}. */
export interface ThrowawayClusterOptions {
	/** Masters. @defaultValue 3 */
	masters?: number | undefined
	/** Replicas per master. @defaultValue 0 */
	replicas?: number | undefined
	/** `cluster-node-timeout`: how long before a silent node is failed (and failed over). @defaultValue 1000 */
	nodeTimeoutMs?: number | undefined
}

/** Whether `redis-server` and `redis-cli` can be run here (a cluster of its own needs both). */
export async function probeRedisBinaries(): Promise<ServiceProbe> {
	const probe = { name: 'redis-server and redis-cli', envVar: 'PATH', url: 'redis-server --version' }
	try {
		await run('redis-server', ['--version'])
		await run('redis-cli', ['--version'])
		return { ...probe, available: true }
	} catch (error) {
		return { ...probe, available: false, reason: (error as Error).message }
	}
}

/** A port that is free, and whose cluster bus port (+10000) is free too. */
async function freePort(taken: Set<number>): Promise<number> {
	for (;;) {
		const port = await listenOnce(0)
		if (port + 10_000 > 65_535 || taken.has(port)) continue
		try {
			await listenOnce(port + 10_000)
		} catch {
			continue
		}
		taken.add(port)
		return port
	}
}

function listenOnce(port: number): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer()
		server.once('error', reject)
		server.listen(port, '127.0.0.1', () => {
			const address = server.address()
			const bound = typeof address === 'object' && address !== null ? address.port : port
			server.close(() => resolve(bound))
		})
	})
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Start a Redis Cluster on free local ports (`redis-server` processes owned by this process,
 * created with `redis-cli --cluster create`), with `cluster-require-full-coverage no` as
 * `scripts/services.sh` sets it. Takes a second or two.
 * @example
 * const cluster = await startRedisCluster()
 * cluster.pause(await cluster.nodeOf('some-key'))
 */
export async function startRedisCluster(
	options: Readonly<ThrowawayClusterOptions> = {},
): Promise<ThrowawayCluster> {
	const masters = options.masters ?? 3
	const count = masters * (1 + (options.replicas ?? 0))
	const dir = await mkdtemp(join(tmpdir(), 'keyward-cluster-'))
	const taken = new Set<number>()
	const ports: number[] = []
	for (let i = 0; i < count; i++) ports.push(await freePort(taken))
	const children: (ChildProcess | undefined)[] = []
	const paused = new Set<number>()
	/** A node that answers, for questions about the whole cluster. */
	const live = () => ports.findIndex((_, i) => children[i] !== undefined && !paused.has(i))

	const cli = async (i: number, ...args: string[]) =>
		(await run('redis-cli', ['-h', '127.0.0.1', '-p', String(ports[i]), ...args])).stdout.trim()

	async function startNode(i: number): Promise<void> {
		const port = ports[i] as number
		const settings = {
			port: String(port),
			bind: '127.0.0.1',
			'cluster-enabled': 'yes',
			'cluster-config-file': join(dir, `nodes-${port}.conf`),
			'cluster-node-timeout': String(options.nodeTimeoutMs ?? 1000),
			'cluster-require-full-coverage': 'no',
			save: '',
			appendonly: 'no',
			dir,
			// A replica that never finished its first sync does not take over: sync at once.
			'repl-diskless-sync-delay': '0',
		}
		const args = Object.entries(settings).flatMap(([name, value]) => [`--${name}`, value])
		const child = spawn('redis-server', args, { stdio: 'ignore' })
		children[i] = child
		for (let tries = 0; ; tries++) {
			if ((await cli(i, 'PING').catch(() => '')) === 'PONG') return
			if (tries > 100 || child.exitCode !== null) throw new Error(`redis-server on ${port} did not start`)
			await sleep(50)
		}
	}

	async function healthy(timeoutMs = 20_000): Promise<void> {
		const deadline = Date.now() + timeoutMs
		for (;;) {
			const states = await Promise.all(
				ports.map((_, i) =>
					children[i] === undefined || paused.has(i)
						? 'cluster_state:ok'
						: cli(i, 'CLUSTER', 'INFO').catch(() => ''),
				),
			)
			const replication = await Promise.all(
				ports.map((_, i) =>
					children[i] === undefined || paused.has(i) ? '' : cli(i, 'INFO', 'replication').catch(() => ''),
				),
			)
			// Replicas count once they hold their master's data (only those can take over).
			const synced = replication.every(
				(info) => !info.includes('role:slave') || info.includes('master_link_status:up'),
			)
			if (synced && states.every((info) => info.includes('cluster_state:ok'))) return
			if (Date.now() > deadline) throw new Error(`the cluster did not become healthy: ${states.join(' | ')}`)
			await sleep(100)
		}
	}

	async function kill(i: number): Promise<void> {
		const child = children[i]
		children[i] = undefined
		paused.delete(i)
		if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
		const exited = new Promise((resolve) => child.once('exit', resolve))
		child.kill('SIGKILL')
		await exited
	}

	const close = async () => {
		await Promise.all(ports.map((_, i) => kill(i)))
		await rm(dir, { recursive: true, force: true })
	}

	try {
		await Promise.all(ports.map((_, i) => startNode(i)))
		const addresses = ports.map((port) => `127.0.0.1:${port}`)
		const replicas = String(options.replicas ?? 0)
		await run('redis-cli', [
			'--cluster',
			'create',
			...addresses,
			'--cluster-replicas',
			replicas,
			'--cluster-yes',
		])
		await healthy()
	} catch (error) {
		await close()
		throw error
	}

	return {
		nodes: ports.map((port) => `redis://127.0.0.1:${port}`),
		ports,
		cli,
		async nodeOf(key) {
			const slot = Number(await cli(live(), 'CLUSTER', 'KEYSLOT', key))
			const slots = JSON.parse(await cli(live(), '--json', 'CLUSTER', 'SLOTS')) as [
				number,
				number,
				[string, number],
			][]
			const owner = slots.find(([from, to]) => from <= slot && slot <= to)
			if (owner === undefined) throw new Error(`no node serves slot ${slot}`)
			return ports.indexOf(owner[2][1])
		},
		pause(i) {
			paused.add(i)
			children[i]?.kill('SIGSTOP')
		},
		resume(i) {
			paused.delete(i)
			children[i]?.kill('SIGCONT')
		},
		kill,
		restart: (i) => startNode(i),
		healthy,
		close,
	}
}
