import { createKeyward, type Keyward, KeywardError, MemoryStore } from '@keyward/core'
import { attachAuditSink } from '@keyward/core/management'
import { unknownOptionMessage } from '@keyward/core/wire'
import { beforeEach, describe, expect, it } from 'vitest'

// What JavaScript callers (and JSON from elsewhere) can pass: the compiler cannot refuse these.
type Loose = Record<string, unknown>

describe('misspelt fields are refused, never ignored', () => {
	let keyward: Keyward
	let store: MemoryStore
	beforeEach(() => {
		store = new MemoryStore()
		keyward = createKeyward({ store })
	})

	const refusal = (pattern: RegExp) =>
		expect.objectContaining({
			name: 'KeywardError',
			code: 'invalid_argument',
			message: expect.stringMatching(pattern),
		})

	it('createKey({ monthlyquota }) names the field it meant and creates nothing', async () => {
		const input: Loose = { owner: 'acme', monthlyquota: 5 }
		await expect(keyward.createKey(input as never)).rejects.toEqual(
			refusal(/^Unknown option "monthlyquota" in createKey input \(did you mean "monthlyQuota"\?\)$/),
		)
		expect(await keyward.listKeys()).toEqual([])
	})

	it('createKey limits, updateKey, rotateKey and listKeys check their fields too', async () => {
		const { info } = await keyward.createKey({ owner: 'acme' })
		await expect(keyward.createKey({ owner: 'acme' }, { maxActive: 1 } as Loose as never)).rejects.toEqual(
			refusal(/"maxActive" in createKey limits \(did you mean "maxActiveKeys"\?\)/),
		)
		await expect(keyward.updateKey(info.id, { scope: ['a'] } as Loose as never)).rejects.toEqual(
			refusal(/"scope" in updateKey input \(did you mean "scopes"\?\)/),
		)
		await expect(keyward.rotateKey(info.id, { grace: 1000 } as Loose as never)).rejects.toEqual(
			refusal(/"grace" in rotateKey options \(did you mean "graceMs"\?\)/),
		)
		await expect(keyward.listKeys({ ownr: 'x' } as Loose as never)).rejects.toEqual(
			refusal(/"ownr" in listKeys query \(did you mean "owner"\?\)/),
		)
		// Nothing changed: the key is as created, not rotated.
		expect((await keyward.listKeys()).map((k) => [k.id, k.scopes, k.replacedBy])).toEqual([
			[info.id, [], null],
		])
	})

	it('refuses hostile shapes: arrays, __proto__ from JSON, very long names', async () => {
		await expect(keyward.createKey(['acme'] as never)).rejects.toEqual(
			refusal(/createKey input must be an object/),
		)
		const fromJson = JSON.parse('{"owner":"acme","__proto__":{"monthlyQuota":1}}') as never
		await expect(keyward.createKey(fromJson)).rejects.toEqual(refusal(/Unknown option "__proto__"/))
		const long = `x${'y'.repeat(500)}`
		const error = await keyward.createKey({ owner: 'acme', [long]: 1 } as never).catch((e: unknown) => e)
		expect(error).toBeInstanceOf(KeywardError)
		expect((error as Error).message.length).toBeLessThan(120)
	})

	it('setOwner and listOwners check their fields too', async () => {
		await expect(keyward.setOwner('acme', { monthlyquota: 5 } as never)).rejects.toEqual(
			refusal(/"monthlyquota" in setOwner patch \(did you mean "monthlyQuota"\?\)/),
		)
		await expect(keyward.listOwners({ limt: 5 } as never)).rejects.toEqual(
			refusal(/"limt" in listOwners query \(did you mean "limit"\?\)/),
		)
		expect(await keyward.getOwner('acme')).toBeNull()
	})

	it('attachAuditSink options are checked when attached', () => {
		const sink = { write() {} }
		expect(() => attachAuditSink(keyward, sink, { onErorr: () => {} } as never)).toThrow(
			/Unknown option "onErorr" in attachAuditSink options \(did you mean "onError"\?\)/,
		)
	})
})

describe('unknownOptionMessage', () => {
	it('suggests only a close name, and says nothing for known ones', () => {
		expect(unknownOptionMessage({ url: 1 }, ['url'], 'x')).toBeUndefined()
		expect(unknownOptionMessage({ uri: 1 }, ['url', 'dataDir'], 'x')).toBe(
			'Unknown option "uri" in x (did you mean "url"?)',
		)
		expect(unknownOptionMessage({ somethingElse: 1 }, ['url'], 'x')).toBe(
			'Unknown option "somethingElse" in x',
		)
	})
})
