import { createHash, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { withAuditContext } from '../src/audit-context.js'
import { isKeywardError } from '../src/errors.js'
import { generateKey } from '../src/key-format.js'
import { setup } from './helpers.js'

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const tiledKey = () => randomBytes(32).toString('hex')
const dlubalKey = () => `ak-${randomBytes(24).toString('base64url')}`
const DLUBAL = { name: 'dlubal', pattern: /ak-[A-Za-z0-9_-]{32,64}/ }
const legacyFormats = ['hex' as const, DLUBAL]

describe('importKey', () => {
	it('imports a Tiled hex key and a Dlubal ak- key as text; both then verify like keyward keys', async () => {
		const { keyward, store } = setup({ legacyFormats, pepper: 'server secret' })
		const imported: string[] = []
		keyward.on('key.imported', ({ key, format }) => imported.push(`${key.id}:${format}`))
		const tiled = tiledKey()
		const dlubal = dlubalKey()
		const a = await withAuditContext({ actor: 'migrator', source: 'tiled.jsonl' }, () =>
			keyward.importKey({
				key: tiled,
				owner: 'alice',
				name: 'notebook',
				scopes: ['read:data'],
				monthlyQuota: 5,
			}),
		)
		const b = await keyward.importKey({ key: dlubal, owner: 'dlubal-customer', scopes: 'inherit' })
		expect(a.format).toBe('hex')
		expect(a.info).toMatchObject({
			owner: 'alice',
			name: 'notebook',
			scopes: ['read:data'],
			hint: tiled.slice(0, 8),
		})
		expect(b.format).toBe('dlubal')
		expect(b.info.hint).toBe(dlubal.slice(0, 8))
		expect(imported).toEqual([`${a.info.id}:hex`, `${b.info.id}:dlubal`])
		// Hashed as keyward hashes its own keys: with the pepper, never the text.
		const record = await store.findById(a.info.id)
		expect(record?.hash).toMatch(/^p1\$[0-9a-f]{64}$/)
		expect(JSON.stringify(record)).not.toContain(tiled)

		const ok = await keyward.verifyKey(tiled, { scopes: ['read:data'] })
		expect(ok).toMatchObject({
			ok: true,
			key: { id: a.info.id, owner: 'alice' },
			quota: { limit: 5, remaining: 4 },
		})
		expect(await keyward.verifyKey(dlubal)).toMatchObject({ ok: true, key: { id: b.info.id } })
		expect(await keyward.verifyKey(tiledKey())).toMatchObject({ ok: false, code: 'invalid' })
		expect((await store.listAudit({ keyId: a.info.id })).map((e) => [e.action, e.actor, e.source])).toEqual([
			['key.imported', 'migrator', 'tiled.jsonl'],
		])
	})

	it('imports a key by its SHA-256 alone, with or without a pepper', async () => {
		for (const pepper of [undefined, 'server secret']) {
			const { keyward } = setup({ legacyFormats, pepper })
			const key = tiledKey()
			const { info, format } = await keyward.importKey({
				sha256: sha256(key).toUpperCase(),
				hint: key.slice(0, 8),
				owner: 'bob',
			})
			expect([format, info.hint]).toEqual(['sha256', key.slice(0, 8)])
			expect(await keyward.verifyKey(key)).toMatchObject({ ok: true, key: { id: info.id } })
			// Found by its hint, as the other system showed it.
			expect((await keyward.getKey(key.slice(0, 8))).id).toBe(info.id)
			expect((await keyward.revokeKey(key)).revokedAt).not.toBeNull()
			expect(await keyward.verifyKey(key)).toMatchObject({ code: 'revoked' })
		}
	})

	it('a hash import of a keyward-format key verifies only without a pepper (documented)', async () => {
		for (const [pepper, ok] of [
			[undefined, true],
			['server secret', false],
		] as const) {
			const { keyward } = setup({ pepper })
			const key = generateKey()
			await keyward.importKey({ sha256: sha256(key), owner: 'o' })
			expect((await keyward.verifyKey(key)).ok).toBe(ok)
		}
	})

	it('imports a keyward key of its own prefix and environment as text, and refuses another environment', async () => {
		const { keyward } = setup({ prefix: 'acme', environment: 'live' })
		const key = generateKey('acme', 'live')
		const { info, format } = await keyward.importKey({ key, owner: 'o' })
		expect([format, info.hint]).toEqual(['keyward', key.slice(0, 'acme_live_'.length + 4)])
		expect(await keyward.verifyKey(key)).toMatchObject({ ok: true })
		await expect(keyward.importKey({ key: generateKey('acme', 'test'), owner: 'o' })).rejects.toThrow(
			'The key belongs to another environment',
		)
	})

	it('a legacy key carries no environment: a keyward of any environment with the format accepts it', async () => {
		const { keyward, store } = setup({ environment: 'live', legacyFormats: ['hex'] })
		const key = tiledKey()
		await keyward.importKey({ key, owner: 'o' })
		expect(await keyward.verifyKey(key)).toMatchObject({ ok: true })
		const { keyward: testing } = setup({ store, environment: 'test', legacyFormats: ['hex'] })
		expect(await testing.verifyKey(key)).toMatchObject({ ok: true })
		const { keyward: without } = setup({ store, environment: 'live' })
		expect(await without.verifyKey(key)).toMatchObject({ code: 'malformed' })
	})

	it('works at once for a key presented (and remembered as unknown) just before its import', async () => {
		const { keyward } = setup({ legacyFormats })
		const key = dlubalKey()
		expect(await keyward.verifyKey(key)).toMatchObject({ code: 'invalid' })
		await keyward.importKey({ key, owner: 'o' })
		expect(await keyward.verifyKey(key)).toMatchObject({ ok: true })
	})

	it('refuses a duplicate, however it was stored', async () => {
		const { keyward } = setup({ legacyFormats, pepper: 'server secret' })
		const duplicate = { code: 'duplicate_key', message: 'This key is already stored' }
		const key = tiledKey()
		await keyward.importKey({ key, owner: 'o' })
		await expect(keyward.importKey({ key, owner: 'o' })).rejects.toMatchObject(duplicate)
		const hashed = tiledKey()
		await keyward.importKey({ sha256: sha256(hashed), owner: 'o' })
		await expect(keyward.importKey({ sha256: sha256(hashed), owner: 'o' })).rejects.toMatchObject(duplicate)
		await expect(keyward.importKey({ key: hashed, owner: 'o' })).rejects.toMatchObject(duplicate)
		const { key: own } = await keyward.createKey({ owner: 'o' })
		await expect(keyward.importKey({ key: own, owner: 'o' })).rejects.toMatchObject(duplicate)
		// Concurrent imports of one key: exactly one stores it.
		const racing = dlubalKey()
		const outcomes = await Promise.allSettled(
			Array.from({ length: 5 }, () => keyward.importKey({ key: racing, owner: 'o' })),
		)
		expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
		expect((await keyward.listKeys({ owner: 'o' })).length).toBe(4)
	})

	it('refuses bad input with a fixed message that never holds the key', async () => {
		const { keyward } = setup({ legacyFormats })
		const key = tiledKey()
		const cases: [Record<string, unknown>, string][] = [
			[{ owner: 'o' }, 'Give either key or sha256'],
			[{ key, sha256: sha256(key), owner: 'o' }, 'Give either key or sha256'],
			[{ key: 42, owner: 'o' }, 'key must be a string'],
			[
				{ key: `${key}z`, owner: 'o' },
				'The key matches neither the keyward format nor a configured legacy format',
			],
			[{ key: key.slice(0, 20), owner: 'o' }, 'The key matches neither'],
			[{ key: `kw_${key.slice(0, 36)}`, owner: 'o' }, 'The key matches neither'],
			[{ key, hint: 'abc', owner: 'o' }, 'The hint of a key given as text is taken from the key'],
			[{ sha256: key.slice(1), owner: 'o' }, 'sha256 must be 64 hexadecimal characters'],
			[{ sha256: `${sha256(key)} `, owner: 'o' }, 'sha256 must be 64'],
			[{ sha256: sha256(key).replace(/./, 'g'), owner: 'o' }, 'sha256 must be 64'],
			[{ sha256: `sha256:${sha256(key)}`, owner: 'o' }, 'sha256 must be 64'],
			[{ sha256: sha256(key), hint: 'ab\u0007cd', owner: 'o' }, 'hint must be 1-16'],
			[{ sha256: sha256(key), hint: 'a b', owner: 'o' }, 'hint must be 1-16'],
			[{ sha256: sha256(key), hint: '', owner: 'o' }, 'hint must be 1-16'],
			[{ sha256: sha256(key), hint: key, owner: 'o' }, 'hint must be 1-16'],
			[{ sha256: sha256(key), hint: 7, owner: 'o' }, 'hint must be 1-16'],
			[{ key }, 'owner is required'],
			[{ key, owner: 'o', expiresAt: new Date(0) }, 'expiresAt must be in the future'],
			[{ key, owner: 'o', scopes: ['has space'] }, 'each scope must be'],
		]
		for (const [input, message] of cases) {
			const error = await keyward.importKey(input as never).then(
				() => undefined,
				(e: unknown) => e,
			)
			expect(isKeywardError(error, 'invalid_argument'), message).toBe(true)
			expect((error as Error).message).toContain(message)
			expect((error as Error).message).not.toContain(key.slice(0, 20))
		}
		await expect(keyward.importKey(null as never)).rejects.toThrow('importKey expects an object')
		expect(await keyward.listKeys()).toEqual([])
	})

	it('refuses any other text as a key, and stores nothing (property)', async () => {
		const { keyward } = setup({ legacyFormats })
		await fc.assert(
			fc.asyncProperty(fc.string({ maxLength: 300 }), fc.string({ maxLength: 80 }), async (text, hint) => {
				for (const input of [{ key: text }, { sha256: text, hint }]) {
					const outcome = await keyward.importKey({ ...input, owner: 'o' }).then(
						(imported) => imported,
						(error: unknown) => error,
					)
					if (isKeywardError(outcome)) {
						expect(outcome.code).toBe('invalid_argument')
						if (text.length >= 8) expect(outcome.message).not.toContain(text)
						continue
					}
					// Only text that really is a key of a configured format, or a real hash, gets in.
					const format = (outcome as { format: string }).format
					if (format === 'sha256') expect(text).toMatch(/^[0-9a-fA-F]{64}$/)
					else expect(text).toMatch(/^[0-9a-f]{32,128}$|^ak-[A-Za-z0-9_-]{32,64}$/)
				}
			}),
			{ numRuns: 200 },
		)
	})

	it('dryRun checks everything and stores nothing', async () => {
		const { keyward, store } = setup({ legacyFormats })
		const seen: string[] = []
		keyward.on('key.imported', ({ key }) => seen.push(key.id))
		const key = tiledKey()
		const dry = await keyward.importKey({ key, owner: 'o' }, { dryRun: true })
		expect(dry).toMatchObject({ format: 'hex', info: { owner: 'o', hint: key.slice(0, 8) } })
		expect([await keyward.listKeys(), await store.listAudit(), seen]).toEqual([[], [], []])
		expect(await keyward.verifyKey(key)).toMatchObject({ code: 'invalid' })
		await keyward.importKey({ key, owner: 'o' })
		await expect(keyward.importKey({ key, owner: 'o' }, { dryRun: true })).rejects.toMatchObject({
			code: 'duplicate_key',
		})
		await expect(keyward.importKey({ key: 'nope', owner: 'o' }, { dryRun: true })).rejects.toMatchObject({
			code: 'invalid_argument',
		})
	})

	it('rotating an imported key gives a keyward key in its family', async () => {
		const { keyward } = setup({ legacyFormats })
		const key = tiledKey()
		const { info } = await keyward.importKey({ key, owner: 'o', scopes: ['read'] })
		const rotated = await keyward.rotateKey(key, { graceMs: 60_000 })
		expect(rotated.key).toMatch(/^kw_/)
		expect(rotated.info).toMatchObject({ familyId: info.id, scopes: ['read'], hint: rotated.key.slice(0, 7) })
		expect(await keyward.verifyKey(key)).toMatchObject({ ok: true })
		expect(await keyward.verifyKey(rotated.key)).toMatchObject({ ok: true })
	})
})
