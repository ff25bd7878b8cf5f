import { closeOnSignal, keywardFromEnv } from '@keyward/example-express/from-env'
import { createDashboardApp, setUpAccounts } from './app.js'

/**
 * Starts the key dashboard on 127.0.0.1 (`PORT`, default 3030; 0 picks a free port). Keys live
 * where `keywardFromEnv` says: embedded PGlite in `.keyward/dashboard` unless `KEYWARD_PG_URL`
 * is set. Sign-ins are kept in memory: they end when the server stops.
 */
async function main(): Promise<void> {
	const port = Number(process.env.PORT ?? 3030)
	if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error('PORT must be a port number')
	const { keyward, describe } = await keywardFromEnv('dashboard')
	await setUpAccounts(keyward)
	const app = createDashboardApp(keyward)
	const server = app.listen(port, '127.0.0.1', () => {
		const address = server.address()
		const actual = typeof address === 'object' && address !== null ? address.port : port
		process.stdout.write(
			`keyward key dashboard on http://127.0.0.1:${actual}/ (${describe})\n` +
				'Sign in as Ada or Grace, create a key, then try it:\n' +
				`  curl -i -H 'Authorization: Apikey <key>' http://127.0.0.1:${actual}/api/hello\n` +
				'Press Ctrl+C to stop.\n',
		)
	})
	closeOnSignal(server, keyward)
}

main().catch((error: unknown) => {
	console.error(error)
	process.exit(1)
})
