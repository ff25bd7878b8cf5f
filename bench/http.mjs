// HTTP suite: every row's server runs in its own process pinned to core 0 (a new one each round),
// autocannon runs in another pinned to core 1. Rounds alternate the order of the rows; each row is
// compared with its bare server of the same round. Usage: node http.mjs [--rounds N] [--warmup S] [--duration S] [rows...]
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { ROWS } from './http/rows.mjs'
import {
	benchDir,
	canPin,
	deleteRedisKeys,
	median,
	pgUrl,
	reachable,
	redisUrl,
	saveResult,
	uniqueName,
} from './lib/env.mjs'

const { values, positionals } = parseArgs({
	allowPositionals: true,
	options: {
		rounds: { type: 'string', default: process.env.BENCH_ROUNDS ?? '5' },
		warmup: { type: 'string', default: process.env.BENCH_WARMUP ?? '1' },
		duration: { type: 'string', default: process.env.BENCH_DURATION ?? '3' },
		connections: { type: 'string', default: process.env.BENCH_CONNECTIONS ?? '50' },
	},
})
const rounds = Number(values.rounds)
const warmupS = Number(values.warmup)
const durationS = Number(values.duration)
const connections = Number(values.connections)
const autocannonBin = join(
	dirname(createRequire(import.meta.url).resolve('autocannon/package.json')),
	'autocannon.js',
)
const serverScript = join(benchDir, 'http', 'server.mjs')
const bareOf = { express: 'express-bare', koa: 'koa-bare', fastify: 'fastify-bare', hono: 'hono-bare' }

const env = { pgUrl, redisUrl, schema: uniqueName('kwbench'), prefix: `${uniqueName('kwbench')}:` }
const services = { pg: await reachable(pgUrl, 5432), redis: await reachable(redisUrl, 6379) }
const wanted = positionals.length > 0 ? positionals : Object.keys(ROWS)
const skipped = {}
const names = []
for (const name of wanted) {
	const row = ROWS[name]
	if (row === undefined) throw new Error(`unknown row ${name}; rows: ${Object.keys(ROWS).join(', ')}`)
	const missing = (row.needs ?? []).filter((service) => !services[service])
	if (missing.length > 0) {
		skipped[name] = `${missing.join(' and ')} not reachable`
		console.warn(`! skipping ${name}: ${skipped[name]}`)
		continue
	}
	names.push(name)
	const bare = bareOf[row.framework]
	if (!wanted.includes(bare)) throw new Error(`row ${name} needs its bare server ${bare} in the same run`)
}

function pinned(core, args) {
	return canPin ? ['taskset', ['-c', String(core), ...args]] : [args[0], args.slice(1)]
}

/** Start a row's server; resolves once it listens. */
async function startServer(name) {
	const [command, args] = pinned(0, [process.execPath, serverScript, name])
	const child = spawn(command, args, {
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
		env: { ...process.env, KEYWARD_BENCH_ENV: JSON.stringify(env), NODE_ENV: 'production' },
	})
	const [message] = await Promise.race([
		once(child, 'message'),
		once(child, 'exit').then(([code]) => {
			throw new Error(`server ${name} exited with ${code} before listening`)
		}),
	])
	const pending = []
	child.on('message', (m) => {
		if (m?.type === 'cpu') pending.shift()?.(m.micros)
	})
	return {
		name,
		port: message.port,
		key: message.key,
		cpu() {
			return new Promise((resolve) => {
				pending.push(resolve)
				child.send('cpu')
			})
		},
		async stop() {
			child.send('stop')
			const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
			await once(child, 'exit')
			clearTimeout(timer)
		},
	}
}

/** One autocannon run against a server; resolves with its JSON report. */
async function load(server, seconds) {
	const headers = server.key === null ? [] : ['-H', `x-api-key=${server.key}`]
	const [command, args] = pinned(1, [
		process.execPath,
		autocannonBin,
		'--json',
		'-c',
		String(connections),
		'-d',
		String(seconds),
		...headers,
		`http://127.0.0.1:${server.port}/`,
	])
	const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] })
	let out = ''
	child.stdout.setEncoding('utf8')
	child.stdout.on('data', (chunk) => {
		out += chunk
	})
	const [code] = await once(child, 'exit')
	if (code !== 0) throw new Error(`autocannon exited with ${code}`)
	return JSON.parse(out)
}

async function measure(server) {
	const before = await server.cpu()
	const report = await load(server, durationS)
	const after = await server.cpu()
	const completed = report.requests.total
	if (report.non2xx > 0 || report.errors > 0 || report.timeouts > 0) {
		throw new Error(
			`${server.name}: ${report.non2xx} non-2xx, ${report.errors} errors, ${report.timeouts} timeouts`,
		)
	}
	return {
		rps: report.requests.average,
		meanRps: report.requests.average,
		latencyP50: report.latency.p50,
		latencyP99: report.latency.p99,
		cpuPerReqUs: (after - before) / completed,
		requests: completed,
	}
}

const perRound = []
try {
	for (let r = 0; r < rounds; r++) {
		// Rotate the order every round so that no row always runs first or last. Every row gets a
		// fresh server process each round: one process can run several percent faster or slower
		// than another of the same code, and that must average out rather than bias a row.
		const order = names.map((_, i) => names[(i + r) % names.length])
		const results = {}
		for (const name of order) {
			const server = await startServer(name)
			try {
				await load(server, warmupS)
				results[name] = await measure(server)
			} finally {
				await server.stop()
			}
			console.log(
				`round ${r + 1}/${rounds} ${name}: ${Math.round(results[name].rps)} req/s, ${results[name].cpuPerReqUs.toFixed(1)} µs CPU/req`,
			)
		}
		perRound.push(results)
	}
	const rows = {}
	for (const name of names) {
		const bare = bareOf[ROWS[name].framework]
		const ratios = perRound.map((round) => round[name].rps / round[bare].rps)
		const added = perRound.map((round) => round[name].cpuPerReqUs - round[bare].cpuPerReqUs)
		rows[name] = {
			label: ROWS[name].label,
			framework: ROWS[name].framework,
			rps: median(perRound.map((round) => round[name].rps)),
			latencyP50: median(perRound.map((round) => round[name].latencyP50)),
			latencyP99: median(perRound.map((round) => round[name].latencyP99)),
			cpuPerReqUs: median(perRound.map((round) => round[name].cpuPerReqUs)),
			ratio: median(ratios),
			ratioMin: Math.min(...ratios),
			ratioMax: Math.max(...ratios),
			addedCpuUs: median(added),
		}
	}
	await saveResult('http', {
		settings: { rounds, warmupS, durationS, connections, pinned: canPin },
		skipped,
		rows,
		rounds: perRound,
	})
	console.table(
		Object.fromEntries(
			Object.entries(rows).map(([name, r]) => [
				name,
				{
					rps: Math.round(r.rps),
					ratio: r.ratio.toFixed(3),
					cpuUs: r.cpuPerReqUs.toFixed(1),
					addedUs: r.addedCpuUs.toFixed(1),
				},
			]),
		),
	)
} finally {
	await cleanup()
}

async function cleanup() {
	if (names.some((name) => ROWS[name].needs?.includes('pg'))) {
		const { default: pg } = await import('pg')
		const client = new pg.Client({ connectionString: pgUrl })
		await client.connect()
		await client.query(`DROP SCHEMA IF EXISTS "${env.schema}" CASCADE`)
		await client.end()
	}
	if (names.some((name) => ROWS[name].needs?.includes('redis'))) {
		const { createClient } = await import('redis')
		const client = await createClient({ url: redisUrl }).connect()
		await deleteRedisKeys(client, env.prefix)
		await client.close()
	}
}
