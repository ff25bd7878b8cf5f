// One benchmark server: `node server.mjs <row>`, started by http.mjs with an IPC channel.
// It listens on 127.0.0.1, reports { port, key }, answers CPU-usage requests, and exits on 'stop'.
import { buildApp } from './app.mjs'
import { ROWS } from './rows.mjs'

const row = ROWS[process.argv[2]]
if (row === undefined || process.send === undefined) {
	console.error('usage: started by http.mjs with a row name and an IPC channel')
	process.exit(2)
}
const env = JSON.parse(process.env.KEYWARD_BENCH_ENV ?? '{}')
const setup = await row.setup(env)
const server = await (await buildApp(row.framework, setup)).listen()

process.on('message', async (message) => {
	if (message === 'cpu') {
		const { user, system } = process.cpuUsage()
		process.send({ type: 'cpu', micros: user + system })
	} else if (message === 'stop') {
		server.closeAllConnections?.()
		server.close()
		await setup.close?.()
		process.exit(0)
	}
})
process.send({ type: 'ready', port: server.address().port, key: setup.key ?? null })
