import type { AddressInfo } from 'node:net'
import { closeOnSignal, keywardFromEnv } from '@keyward/example-express/from-env'
import { createApp } from './app.js'

/**
 * Starts the Koa example on 127.0.0.1 with one demo key. `PORT` picks the port (default 3001; 0
 * picks a free one); the store comes from the environment (see `keywardFromEnv`): embedded PGlite
 * in `.keyward/koa-example` by default.
 */
const { keyward, describe } = await keywardFromEnv('koa-example')
const { key } = await keyward.createKey({ owner: 'demo-user', scopes: ['reports:read'], monthlyQuota: 1000 })
const server = createApp(keyward).listen(Number(process.env.PORT ?? 3001), '127.0.0.1', () => {
	const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
	process.stdout.write(
		`keyward Koa example on ${base} (${describe})\n` +
			'A key with scope reports:read and a monthly quota of 1000 (shown once, keep it secret):\n' +
			`  curl -i -H 'Authorization: Apikey ${key}' ${base}/api/reports\n` +
			`  curl -i ${base}/public\n` +
			'Press Ctrl+C to stop.\n',
	)
})
closeOnSignal(server, keyward)
