import { startGateway } from './gateway.js'

function port(name: string, fallback: number): number {
	const value = Number(process.env[name] ?? fallback)
	if (!Number.isInteger(value) || value < 0 || value > 65_535)
		throw new Error(`${name} must be a port number`)
	return value
}

const gateway = await startGateway({
	edgePort: port('EDGE_PORT', 4000),
	internalPort: port('INTERNAL_PORT', 4001),
})
const { key } = await gateway.keyward.createKey({
	owner: 'demo',
	name: 'gateway demo',
	scopes: ['reports:read'],
	monthlyQuota: 1000,
})

const edge = gateway.edgeUrl.origin
const internal = gateway.internalUrl.origin
console.log(`edge service      ${edge}   (API keys, POST /token, /.well-known/jwks.json, /api/reports)
internal service  ${internal}   (tokens only, no key store)

Demo API key (shown once): ${key}

# 1. Call the edge with the API key; it calls the internal service with a token:
curl -s ${edge}/api/reports -H 'Authorization: Apikey ${key}'

# 2. Trade the API key for a token yourself, then call the internal service directly:
TOKEN=$(curl -s -X POST ${edge}/token -H 'Authorization: Apikey ${key}' -H 'Content-Type: application/json' -d '{"scope":"reports:read"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')
curl -s ${internal}/reports -H "Authorization: Bearer $TOKEN"

# 3. Without a token the internal service refuses:
curl -si ${internal}/reports

# The public keys the internal service verifies with:
curl -s ${edge}/.well-known/jwks.json
`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.once(signal, () => {
		gateway.close().then(
			() => process.exit(0),
			() => process.exit(1),
		)
	})
}
