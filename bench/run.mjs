// `pnpm bench`: runs the micro, scale and HTTP suites, each in processes of its own, then writes
// bench/RESULTS.md from their JSON in bench/.results/. Usage: node run.mjs [micro] [scale] [http] [inject]
// (default: all four; RESULTS.md reports the latest result of every suite).
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { benchDir, canPin } from './lib/env.mjs'
import { writeReport } from './lib/report.mjs'

const SUITES = {
	// Pinned to one core: the issue's "per second on one core".
	micro: [{ args: ['micro.mjs'], core: 0 }],
	scale: ['memory', 'postgres', 'quota'].map((section) => ({ args: ['--expose-gc', 'scale.mjs', section] })),
	// http.mjs pins its servers and load generators itself.
	http: [{ args: ['http.mjs'] }],
	// inject.mjs pins its workers itself.
	inject: [{ args: ['inject.mjs'] }],
}

const wanted = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(SUITES)
for (const name of wanted) {
	if (!(name in SUITES)) throw new Error(`unknown suite ${name}; suites: ${Object.keys(SUITES).join(', ')}`)
}

async function run({ args, core }) {
	const node = [process.execPath, ...args]
	const [command, argv] =
		core !== undefined && canPin ? ['taskset', ['-c', String(core), ...node]] : [node[0], node.slice(1)]
	const child = spawn(command, argv, { cwd: benchDir, stdio: 'inherit' })
	const [code, signal] = await once(child, 'exit')
	if (code !== 0) throw new Error(`${args.join(' ')} failed (${signal ?? `exit ${code}`})`)
}

const started = Date.now()
for (const name of wanted) {
	const suiteStarted = Date.now()
	console.log(`\n== ${name}`)
	for (const step of SUITES[name]) await run(step)
	console.log(`== ${name} took ${Math.round((Date.now() - suiteStarted) / 1000)} s`)
}
const file = await writeReport()
console.log(
	`\nwrote ${join(benchDir, 'RESULTS.md')} (${file.missing.length === 0 ? 'every suite' : `missing: ${file.missing.join(', ')}`}) in ${Math.round((Date.now() - started) / 1000)} s`,
)
