import { createKeyward, type VerifyResult } from '@keyward/core'

const keyward = createKeyward()
const { key, info } = await keyward.createKey({
	owner: 'acme',
	scopes: ['reports:read'],
	expiresIn: 3_600_000,
})
const outcome = (result: VerifyResult) =>
	result.ok ? `ok as ${result.key.owner}` : `${result.status} ${result.code}`

// Log in with the key: a random token for a cookie, no key text in it, ending no later than the key.
const login = await keyward.createSession(key, { username: 'acme', client: '203.0.113.7' })
if (!login.ok) throw new Error(login.detail)
console.log(login.token.slice(0, 4), login.expiresAt.getTime() === info.expiresAt?.getTime()) // kws_ true

// A request with the session gets what a request with the key gets: scopes, quota, refusals.
console.log(outcome(await keyward.verifySession(login.token, { scopes: ['reports:read'] }))) // 'ok as acme'
console.log(outcome(await keyward.verifySession(login.token, { scopes: ['admin'] }))) // '403 insufficient_scope'

// A wrong user name with the right key is refused exactly like an unknown key.
const wrong = await keyward.createSession(key, { username: 'mallory' })
console.log(wrong.ok || `${wrong.status} ${wrong.code}`) // '401 invalid'

// Logout ends the session everywhere; revoking its key ends every session of the key.
await keyward.endSession(login.token)
console.log(outcome(await keyward.verifySession(login.token))) // '401 invalid_session'
const again = await keyward.createSession(key)
await keyward.revokeKey(info.id)
console.log(again.ok && outcome(await keyward.verifySession(again.token))) // '401 revoked'
