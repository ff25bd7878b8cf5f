import { createKeyward } from '@keyward/core'
import { createTokenIssuer, generateSigningKey } from '@keyward/tokens'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPORTS_AUDIENCE, type RunningGateway, startGateway } from '../src/gateway.js'

let gateway: RunningGateway
let apiKey: string

beforeAll(async () => {
	gateway = await startGateway({ edgePort: 0, internalPort: 0 })
	;({ key: apiKey } = await gateway.keyward.createKey({
		owner: 'acme',
		scopes: ['reports:read', 'users:read'],
	}))
})

afterAll(async () => {
	await gateway.close()
})

/** Response bodies here are JSON objects; their fields are checked by the assertions. */
async function json(res: Response): Promise<Record<string, unknown>> {
	return (await res.json()) as Record<string, unknown>
}

const edge = (path: string) => new URL(path, gateway.edgeUrl)
const internal = (path: string) => new URL(path, gateway.internalUrl)

describe('gateway', () => {
	it('API key -> edge -> token -> internal service', async () => {
		const res = await fetch(edge('/api/reports'), { headers: { authorization: `Apikey ${apiKey}` } })
		expect(res.status).toBe(200)
		const body = await json(res)
		expect(body.owner).toBe('acme')
		expect(body.keyId).toBe((await gateway.keyward.getKey(apiKey)).id)
		expect(body.reports).toHaveLength(2)
	})

	it('refuses a wrong API key at the edge', async () => {
		const res = await fetch(edge('/api/reports'), { headers: { authorization: 'Apikey kw_wrong' } })
		expect(res.status).toBe(401)
		expect(res.headers.get('www-authenticate')).toBe('Apikey realm="api"')
		expect(await json(res)).toEqual({ detail: 'Invalid API key', code: 'malformed' })
		const unknown = await createKeyward().createKey({ owner: 'elsewhere', scopes: ['reports:read'] })
		const res2 = await fetch(edge('/api/reports'), { headers: { authorization: `Apikey ${unknown.key}` } })
		expect([res2.status, (await json(res2)).code]).toEqual([401, 'invalid'])
	})

	it('refuses a key without the scope at the edge', async () => {
		const { key } = await gateway.keyward.createKey({ owner: 'acme', scopes: ['users:read'] })
		const res = await fetch(edge('/api/reports'), { headers: { authorization: `Apikey ${key}` } })
		expect([res.status, (await json(res)).code]).toEqual([403, 'insufficient_scope'])
	})

	it('issues tokens at POST /token that the internal service accepts', async () => {
		const minted = await fetch(edge('/token'), {
			method: 'POST',
			headers: { authorization: `Apikey ${apiKey}`, 'content-type': 'application/json' },
			body: JSON.stringify({ scope: 'reports:read' }),
		})
		expect(minted.status).toBe(200)
		const { access_token: token, scope, token_type: type } = await json(minted)
		expect([scope, type]).toEqual(['reports:read', 'Bearer'])
		const res = await fetch(internal('/whoami'), { headers: { authorization: `Bearer ${token}` } })
		expect(await json(res)).toMatchObject({ sub: 'acme', scope: 'reports:read' })
	})

	it('the internal service refuses a request without a token', async () => {
		const res = await fetch(internal('/reports'))
		expect(res.status).toBe(401)
		expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"')
		expect(await json(res)).toEqual({ detail: 'Not authenticated', code: 'missing' })
	})

	it('the internal service refuses an API key', async () => {
		const res = await fetch(internal('/reports'), { headers: { authorization: `Apikey ${apiKey}` } })
		expect([res.status, (await json(res)).code]).toEqual([401, 'missing'])
	})

	it('the internal service refuses a forged token', async () => {
		// An attacker's issuer with the same name, audience and even the same kid, but its own key.
		const realKid = gateway.issuer.keys()[0]?.kid
		const attacker = createKeyward()
		const { key } = await attacker.createKey({ owner: 'acme', scopes: ['*'] })
		const forger = createTokenIssuer({
			keyward: attacker,
			issuer: gateway.edgeUrl.origin,
			audience: REPORTS_AUDIENCE,
			keys: [await generateSigningKey({ kid: realKid })],
		})
		const forged = await forger.mint(key)
		if (!forged.ok) throw new Error('could not forge')
		const res = await fetch(internal('/reports'), { headers: { authorization: `Bearer ${forged.token}` } })
		expect(res.status).toBe(401)
		expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
		expect((await json(res)).code).toBe('invalid_token')
	})

	it('the internal service refuses a token without the scope', async () => {
		const minted = await gateway.issuer.mint(apiKey, { scopes: ['users:read'] })
		if (!minted.ok) throw new Error('mint failed')
		const res = await fetch(internal('/reports'), { headers: { authorization: `Bearer ${minted.token}` } })
		expect([res.status, (await json(res)).code]).toEqual([403, 'insufficient_scope'])
	})

	it('keeps working across a signing-key rotation', async () => {
		const before = await gateway.issuer.mint(apiKey)
		gateway.issuer.rotate({ next: await generateSigningKey() })
		const after = await gateway.issuer.mint(apiKey)
		if (!before.ok || !after.ok) throw new Error('mint failed')
		for (const token of [before.token, after.token]) {
			const res = await fetch(internal('/reports'), { headers: { authorization: `Bearer ${token}` } })
			expect(res.status).toBe(200)
		}
		const res = await fetch(edge('/api/reports'), { headers: { authorization: `Apikey ${apiKey}` } })
		expect(res.status).toBe(200)
	})
})
