// Profile one HTTP row: `node profile.mjs <row> [seconds]` runs its server under `node --cpu-prof`
// with autocannon against it, then prints the functions with the most self time. The
// .cpuprofile file is kept in bench/.results/ for Chrome DevTools or speedscope.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { benchDir, canPin, pgUrl, redisUrl, resultsDir, uniqueName } from './lib/env.mjs'

const [row = 'express-keyward', seconds = '5'] = process.argv.slice(2)
const autocannonBin = join(
	dirname(createRequire(import.meta.url).resolve('autocannon/package.json')),
	'autocannon.js',
)
const env = { pgUrl, redisUrl, schema: uniqueName('kwprof'), prefix: `${uniqueName('kwprof')}:` }
const pin = (core, args) => (canPin ? ['taskset', ['-c', String(core), ...args]] : [args[0], args.slice(1)])
const started = Date.now()

const [command, args] = pin(0, [
	process.execPath,
	'--cpu-prof',
	`--cpu-prof-dir=${resultsDir}`,
	`--cpu-prof-name=${row}-${started}.cpuprofile`,
	join(benchDir, 'http', 'server.mjs'),
	row,
])
const server = spawn(command, args, {
	stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	env: { ...process.env, KEYWARD_BENCH_ENV: JSON.stringify(env), NODE_ENV: 'production' },
})
const [ready] = await once(server, 'message')
const [loadCommand, loadArgs] = pin(1, [
	process.execPath,
	autocannonBin,
	'-c',
	'50',
	'-d',
	seconds,
	...(ready.key === null ? [] : ['-H', `x-api-key=${ready.key}`]),
	`http://127.0.0.1:${ready.port}/`,
])
await once(spawn(loadCommand, loadArgs, { stdio: 'ignore' }), 'exit')
server.send('stop')
await once(server, 'exit')

const file = (await readdir(resultsDir)).find((name) => name === `${row}-${started}.cpuprofile`)
const profile = JSON.parse(await readFile(join(resultsDir, file), 'utf8'))
const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
const selfTime = new Map()
let total = 0
profile.samples.forEach((id, i) => {
	const { functionName, url, lineNumber } = nodes.get(id).callFrame
	const where = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`
	const delta = profile.timeDeltas[i] ?? 0
	selfTime.set(where, (selfTime.get(where) ?? 0) + delta)
	total += delta
})
console.log(`${join(resultsDir, file)}\nself time, top 30:`)
for (const [where, time] of [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
	console.log(`${((time / total) * 100).toFixed(1).padStart(5)} %  ${where}`)
}
