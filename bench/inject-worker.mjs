// One process of the injection suite: `node inject-worker.mjs <framework> <blocks> <requests>`.
// Builds the bare, hand-written and keyward apps of one framework (and its breakdown rows), then
// calls each app's request listener without a socket (Node's own request and response objects, see
// lib/inject.mjs) in blocks of <requests> sequential requests, the rows interleaved block by block
// in an order that rotates. Prints the CPU time per request of every block as JSON on its last line.
import { buildApp } from './http/app.mjs'
import { BREAKDOWN_ROWS, ROWS } from './http/rows.mjs'
import { injector } from './lib/inject.mjs'

const [framework, blocksArg = '40', requestsArg = '2000'] = process.argv.slice(2)
const blocks = Number(blocksArg)
const requests = Number(requestsArg)
const WARMUP_BLOCKS = 100
const INJECT_ROWS = ['bare', 'handwritten', 'keyward']

const names = [
	...INJECT_ROWS.map((kind) => `${framework}-${kind}`),
	...Object.keys(BREAKDOWN_ROWS).filter((name) => BREAKDOWN_ROWS[name].framework === framework),
]
const apps = []
for (const name of names) {
	const row = ROWS[name] ?? BREAKDOWN_ROWS[name]
	if (row === undefined) throw new Error(`no row ${name}`)
	const setup = await row.setup({})
	const { dispatch } = await buildApp(framework, setup)
	const headers = setup.key === undefined ? {} : { 'x-api-key': setup.key }
	apps.push({ name, send: injector(dispatch, '/', headers), close: setup.close })
}

/** CPU time (user + system) per request of `n` sequential requests, in µs. */
async function block(app, n) {
	const before = process.cpuUsage()
	for (let i = 0; i < n; i++) {
		const status = await app.send()
		// Back to the event loop now and then, as a server is, so that timers (keyward's batched
		// writes) run within the blocks they belong to.
		if (i % 16 === 15) await new Promise(setImmediate)
		if (status !== 200) throw new Error(`${app.name} answered ${status}`)
	}
	const { user, system } = process.cpuUsage(before)
	return (user + system) / n
}

for (let b = 0; b < WARMUP_BLOCKS; b++) for (const app of apps) await block(app, requests)
const perBlock = Object.fromEntries(apps.map((app) => [app.name, []]))
for (let b = 0; b < blocks; b++) {
	for (let i = 0; i < apps.length; i++) {
		const app = apps[(b + i) % apps.length]
		perBlock[app.name].push(await block(app, requests))
	}
}
for (const app of apps) await app.close?.()
console.log(JSON.stringify({ framework, requests, perBlock }))
