import { createKeyward } from '@keyward/core'

const keyward = createKeyward()

// The account: what all its keys may do, a monthly limit they share.
await keyward.setOwner('acme', { scopes: ['reports:read', 'billing:read'], monthlyQuota: 3 })

// One key per project: one inherits the account's scopes, one asks for more than the account has.
const projectA = await keyward.createKey({ owner: 'acme', name: 'project A', scopes: 'inherit' })
const projectB = await keyward.createKey({ owner: 'acme', name: 'project B', scopes: ['reports:*', 'admin'] })

const a = await keyward.verifyKey(projectA.key, { scopes: ['billing:read'] })
console.log(a.ok && a.key.scopes) // [ 'reports:read', 'billing:read' ]
const b = await keyward.verifyKey(projectB.key)
console.log(b.ok && b.key.scopes) // [ 'reports:read' ] (never more than the account)

// The account loses a permission: its keys lose it at once.
await keyward.setOwner('acme', { scopes: ['reports:read'] })
const lost = await keyward.verifyKey(projectA.key, { scopes: ['billing:read'] })
console.log(lost.ok || lost.code) // 'insufficient_scope'

// The shared limit: 3 requests a month for both keys together; the refusal above counted nothing.
await keyward.verifyKey(projectA.key) // the third
const over = await keyward.verifyKey(projectB.key)
console.log(over.ok || `${over.status} ${over.detail}`) // '429 Monthly request limit of the account exceeded'
console.log((await keyward.ownerUsage('acme')).used) // 3

// The switch.
await keyward.setOwner('acme', { disabled: true })
const off = await keyward.verifyKey(projectA.key)
console.log(off.ok || `${off.status} ${off.code}`) // '403 owner_disabled'
