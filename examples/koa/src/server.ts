import { keywardFromEnv } from '@keyward/example-express/from-env'
import { createApp } from './app.js'

/** Starts the Koa example on 127.0.0.1 with one demo key. `PORT` picks the port (default 3001). */
const { keyward, describe } = await keywardFromEnv('koa-example')
const { key } = await keyward.createKey({ owner: 'demo-user', scopes: ['reports:read'], monthlyQuota: 1000 })
const port = Number(process.env.PORT ?? 3001)
createApp(keyward).listen(port, '127.0.0.1', () => {
	process.stdout.write(`keyward Koa example on http://127.0.0.1:${port} (${describe})\n`)
	process.stdout.write(`  curl -i -H 'Authorization: Apikey ${key}' http://127.0.0.1:${port}/api/reports\n`)
})
