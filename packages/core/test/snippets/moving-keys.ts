import { createHash } from 'node:crypto'
import { createKeyward } from '@keyward/core'

const keyward = createKeyward({
	pepper: 'from your secret manager',
	legacyFormats: [
		'hex', // 32-128 lowercase hex characters: Python's secrets.token_hex(), as Tiled issues them
		{ name: 'dlubal', pattern: /ak-[A-Za-z0-9_-]{32,64}/ }, // the whole key; anchored for you
	],
})

// Keys whose text you still have: hashed like keyward's own (with the pepper), hint taken from them.
const tiled = 'f3a9c2d1e4b5a6978877665544332211f3a9c2d1e4b5a6978877665544332211'
const a = await keyward.importKey({ key: tiled, owner: 'alice', scopes: ['read:data'] })
console.log(a.format, a.info.hint) // hex f3a9c2d1

// Keys you only have the SHA-256 of, with the first characters the old system showed.
const dlubal = 'ak-Xb2kP9mQ4rT7vW1yZ3aC5eG8hJ0kL2nP'
const sha256 = createHash('sha256').update(dlubal).digest('hex')
const b = await keyward.importKey({ sha256, hint: 'ak-Xb2kP', owner: 'dlubal-customer' })
console.log(b.format, b.info.hint) // sha256 ak-Xb2kP

// Both keep working, and callers need not change anything.
console.log((await keyward.verifyKey(tiled)).ok, (await keyward.verifyKey(dlubal)).ok) // true true
// Refused with a fixed message, which never repeats the key.
await keyward.importKey({ key: tiled, owner: 'alice' }).catch((e) => console.log(e.code)) // duplicate_key
// The hint finds the key, as the id does; rotating gives its holder a keyward key.
const next = await keyward.rotateKey('f3a9c2d1', { graceMs: 7 * 86_400_000 })
console.log(next.key.startsWith(next.info.hint ?? '?'), next.info.familyId === a.info.id) // true true
