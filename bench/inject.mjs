// Injection suite: the complete app of each framework (bare, hand-written check, keyward) called
// without sockets, so that the difference between two rows is measured to a fraction of a µs.
// Every framework runs in several fresh processes pinned to core 0 (one process can be a few
// percent faster than another of the same code for its whole life; several average that out).
// A row's cost is compared with another's block by block: the blocks of one round ran back to
// back, so a slow moment of the machine lands on both. Usage:
// node inject.mjs [--processes N] [--blocks N] [--requests N] [frameworks...]
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { BREAKDOWN_ROWS } from './http/rows.mjs'
import { benchDir, canPin, saveResult } from './lib/env.mjs'
import { meanWithInterval } from './lib/stats.mjs'

const { values, positionals } = parseArgs({
	allowPositionals: true,
	options: {
		processes: { type: 'string', default: process.env.BENCH_INJECT_PROCESSES ?? '3' },
		blocks: { type: 'string', default: process.env.BENCH_INJECT_BLOCKS ?? '600' },
		requests: { type: 'string', default: process.env.BENCH_INJECT_REQUESTS ?? '256' },
	},
})
const FRAMEWORKS = ['express', 'koa', 'fastify', 'hono']
const frameworks = positionals.length > 0 ? positionals : FRAMEWORKS
for (const name of frameworks) {
	if (!FRAMEWORKS.includes(name))
		throw new Error(`unknown framework ${name}; frameworks: ${FRAMEWORKS.join(', ')}`)
}
const settings = {
	processes: Number(values.processes),
	blocks: Number(values.blocks),
	requests: Number(values.requests),
	pinned: canPin,
}

async function runWorker(framework) {
	const node = [
		process.execPath,
		join(benchDir, 'inject-worker.mjs'),
		framework,
		String(settings.blocks),
		String(settings.requests),
	]
	const [command, args] = canPin ? ['taskset', ['-c', '0', ...node]] : [node[0], node.slice(1)]
	const child = spawn(command, args, {
		cwd: benchDir,
		stdio: ['ignore', 'pipe', 'inherit'],
		env: { ...process.env, NODE_ENV: 'production' },
	})
	let out = ''
	child.stdout.setEncoding('utf8')
	child.stdout.on('data', (chunk) => {
		out += chunk
	})
	const [code] = await once(child, 'exit')
	if (code !== 0) throw new Error(`inject-worker ${framework} exited with ${code}`)
	return JSON.parse(out.trim().split('\n').at(-1)).perBlock
}

/** The differences between rows that the report compares, block by block. */
const COMPARISONS = {
	handwrittenOverBare: ['handwritten', 'bare'],
	keywardOverBare: ['keyward', 'bare'],
	keywardOverHandwritten: ['keyward', 'handwritten'],
}
const minus = (a, b) => a.map((x, i) => x - b[i])

const results = {}
for (const framework of frameworks) {
	const processes = []
	for (let p = 0; p < settings.processes; p++) {
		processes.push(await runWorker(framework))
		console.log(`${framework} process ${p + 1}/${settings.processes} done`)
	}
	const rows = Object.keys(processes[0])
	const pooled = (name) => processes.flatMap((perBlock) => perBlock[name])
	const row = (kind) => `${framework}-${kind}`
	results[framework] = {
		cpuUs: Object.fromEntries(rows.map((name) => [name, meanWithInterval(pooled(name))])),
		...Object.fromEntries(
			Object.entries(COMPARISONS).map(([comparison, [a, b]]) => [
				comparison,
				{
					...meanWithInterval(minus(pooled(row(a)), pooled(row(b)))),
					// Each process on its own: the spread between processes, which the interval does not see.
					perProcess: processes.map(
						(perBlock) => meanWithInterval(minus(perBlock[row(a)], perBlock[row(b)])).mean,
					),
				},
			]),
		),
	}
	// Breakdown rows, each against the hand-written check.
	results[framework].breakdown = Object.fromEntries(
		rows
			.filter((name) => !Object.values(COMPARISONS).flat().map(row).includes(name))
			.map((name) => [
				name,
				{
					label: BREAKDOWN_ROWS[name]?.label ?? name,
					...meanWithInterval(minus(pooled(name), pooled(row('handwritten')))),
					perProcess: processes.map(
						(perBlock) => meanWithInterval(minus(perBlock[name], perBlock[row('handwritten')])).mean,
					),
				},
			]),
	)
	const k = results[framework].keywardOverHandwritten
	console.log(
		`${framework}: keyward − hand-written = ${k.mean.toFixed(2)} µs ± ${k.half.toFixed(2)} (95 %, ${k.n} block pairs; processes ${k.perProcess.map((x) => x.toFixed(2)).join(', ')})`,
	)
}
await saveResult('inject', { settings, frameworks: results })
