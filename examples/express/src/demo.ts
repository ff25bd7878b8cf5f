import { createApp } from './app.js'
import { closeOnSignal, keywardFromEnv } from './from-env.js'

/**
 * Starts the example on 127.0.0.1, creates two keys and prints ready-to-paste requests.
 * `PORT` picks the port (default 3000; 0 picks a free one); the store comes from the
 * environment (see `keywardFromEnv`): embedded PGlite in `.keyward/demo` by default.
 */
async function main(): Promise<void> {
	const { keyward, describe } = await keywardFromEnv('demo')
	const reader = await keyward.createKey({
		owner: 'demo-user',
		name: 'demo reader',
		scopes: ['reports:read'],
		monthlyQuota: 1000,
	})
	const admin = await keyward.createKey({ owner: 'demo-admin', name: 'demo admin', scopes: ['*'] })
	const app = createApp(keyward)
	const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
		const address = server.address()
		const port = typeof address === 'object' && address !== null ? address.port : 3000
		const base = `http://127.0.0.1:${port}`
		const lines = [
			`keyward demo listening on ${base} (${describe})`,
			'',
			'A key with scope reports:read and a monthly quota of 1000 (shown once, keep it secret):',
			`  ${reader.key}`,
			'',
			'Try:',
			`  curl -i -H 'Authorization: Apikey ${reader.key}' ${base}/api/hello`,
			`  curl -i -H 'x-api-key: ${reader.key}' ${base}/api/reports`,
			`  curl -i '${base}/api/hello?api_key=${reader.key}'`,
			`  curl -i -H 'Authorization: Apikey ${reader.key}' ${base}/api/admin      # 403: no admin scope`,
			`  curl -i -H 'Authorization: Apikey ${admin.key}' ${base}/api/admin      # 200: admin key`,
			`  curl -i -H 'Authorization: Apikey kw_wrong' ${base}/api/hello          # 401`,
			`  curl -i ${base}/public`,
			'',
			'Press Ctrl+C to stop.',
		]
		process.stdout.write(`${lines.join('\n')}\n`)
	})
	closeOnSignal(server, keyward)
}

main().catch((error: unknown) => {
	process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`)
	process.exitCode = 1
})
