import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isKeywardError } from '../src/errors.js'
import { checkGivenHint, hintOf, keywardKeyHint, legacyKeyHint } from '../src/key-hint.js'
import { setup } from './helpers.js'

describe('key hints', () => {
	it('shows a keyward key up to 4 body characters, and a legacy key up to 8 (a quarter at most)', () => {
		expect(keywardKeyHint(`kw_live_3mQ7${'a'.repeat(32)}`)).toBe('kw_live_3mQ7')
		expect(keywardKeyHint(`acme_3mQ7${'b'.repeat(32)}`)).toBe('acme_3mQ7')
		expect(legacyKeyHint('0123456789abcdef0123456789abcdef')).toBe('01234567')
		expect(legacyKeyHint('ak-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef')).toBe('ak-ABCDE')
		expect(legacyKeyHint('0123456789abcdef0123', 16)).toBe('01234')
	})

	it('stores the hint at creation and rotation; listings and lookups show it', async () => {
		const { keyward } = setup({ prefix: 'acme', environment: 'live' })
		const { key, info } = await keyward.createKey({ owner: 'o' })
		expect(info.hint).toBe(key.slice(0, 'acme_live_'.length + 4))
		expect(key.startsWith(info.hint as string)).toBe(true)
		const [listed] = await keyward.listKeys({ owner: 'o' })
		expect(listed?.hint).toBe(info.hint)
		const rotated = await keyward.rotateKey(info.id)
		expect(rotated.info.hint).toBe(rotated.key.slice(0, 14))
		expect(rotated.previous.hint).toBe(info.hint)
	})

	it('getKey and revokeKey accept an unambiguous hint, as listed or with a trailing …', async () => {
		const { keyward } = setup()
		const { info } = await keyward.createKey({ owner: 'o' })
		const hint = info.hint as string
		expect((await keyward.getKey(hint)).id).toBe(info.id)
		expect((await keyward.getKey(`${hint}…`)).id).toBe(info.id)
		expect((await keyward.revokeKey(hint)).revokedAt).not.toBeNull()
		await expect(keyward.getKey(`${hint}x`)).rejects.toMatchObject({ code: 'key_not_found' })
		await expect(keyward.getKey(hint.slice(0, -1))).rejects.toMatchObject({ code: 'key_not_found' })
	})

	it('refuses an ambiguous hint, naming nothing; an exact id wins over a hint', async () => {
		const { keyward, store } = setup({ legacyFormats: ['hex'] })
		const a = await keyward.importKey({ sha256: 'a'.repeat(64), hint: 'deadbeef', owner: 'x' })
		await keyward.importKey({ sha256: 'b'.repeat(64), hint: 'deadbeef', owner: 'y' })
		const error = await keyward.revokeKey('deadbeef').catch((e: unknown) => e)
		expect(isKeywardError(error, 'ambiguous_id')).toBe(true)
		expect((error as Error).message).toBe('More than one key matches this id prefix or hint')
		expect((await keyward.listKeys()).every((k) => k.revokedAt === null)).toBe(true)
		// A hint that equals another key's id prefix is ambiguous too.
		const prefixed = await keyward.importKey({
			sha256: 'c'.repeat(64),
			hint: a.info.id.slice(0, 6),
			owner: 'z',
		})
		await expect(keyward.getKey(a.info.id.slice(0, 6))).rejects.toMatchObject({ code: 'ambiguous_id' })
		// The whole id is never ambiguous.
		const sameAsId = await keyward.importKey({ sha256: 'd'.repeat(64), hint: a.info.id, owner: 'z' })
		expect((await keyward.getKey(a.info.id)).id).toBe(a.info.id)
		expect(prefixed.info.id).not.toBe(sameAsId.info.id)
		expect(await store.findByHint('deadbeef', 5)).toHaveLength(2)
	})

	it('keys stored before hints existed show null and are still found by id', async () => {
		const { keyward, store } = setup()
		const { info } = await keyward.createKey({ owner: 'o' })
		const record = await store.findById(info.id)
		const { hint: _, ...withoutHint } = record as NonNullable<typeof record>
		await store.delete(info.id)
		await store.create(withoutHint as never)
		expect((await keyward.getKey(info.id)).hint).toBeNull()
		expect((await keyward.listKeys())[0]?.hint).toBeNull()
	})

	it('checks given hints and parses hint text without throwing (property)', () => {
		fc.assert(
			fc.property(fc.string({ maxLength: 60 }), (text) => {
				const hint = hintOf(text)
				if (hint !== undefined) expect(hint).toMatch(/^[\x21-\x7e]{1,40}$/)
				let given: string | null | undefined
				try {
					given = checkGivenHint(text)
				} catch (error) {
					expect(isKeywardError(error, 'invalid_argument')).toBe(true)
					return
				}
				expect(given).toMatch(/^[0-9A-Za-z_.~+/=-]{1,16}$/)
			}),
		)
	})
})
