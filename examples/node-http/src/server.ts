import { createServer } from 'node:http'
import { createKeyward } from '@keyward/core'
import { apiKeyAuth, requireScopes, runSteps, sendJson } from './adapter.js'

const keyward = createKeyward()
const { key } = await keyward.createKey({ owner: 'acme', scopes: ['reports:read'], monthlyQuota: 1000 })
const steps = [apiKeyAuth(keyward), requireScopes('reports:read')]

const server = createServer(async (req, res) => {
	if (!(await runSteps(req, res, steps))) return
	sendJson(res, 200, { owner: req.apiKey?.owner, url: req.url })
})
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
	const address = server.address()
	const port = typeof address === 'object' && address !== null ? address.port : 3000
	console.log(`curl -i -H 'Authorization: Apikey ${key}' http://127.0.0.1:${port}/reports`)
})
