import { afterEach, describe, expect, it, vi } from 'vitest'
import { createKeyward } from '../src/keyward.js'
import { MemoryStore } from '../src/memory-store.js'
import { brokenStore, delegate } from './helpers.js'

function serialise(value: unknown): string {
	return JSON.stringify(value, (_k, v: unknown) =>
		v instanceof Error ? { message: v.message, stack: v.stack, cause: serialise(v.cause) } : v,
	)
}

describe('key text never leaks', () => {
	afterEach(() => {
		vi.restoreAllMocks()
	})

	it('through events, results, errors, headers or console output', async () => {
		const output: string[] = []
		for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
			vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
				output.push(serialise(args))
			})
		}
		const store = new MemoryStore()
		let failing = false
		const keyward = createKeyward({
			store: delegate(store, {
				findByHash: (h) => (failing ? Promise.reject(new Error('down')) : store.findByHash(h)),
			}),
			usage: store,
			cache: false,
		})
		const seen: unknown[] = []
		for (const name of [
			'key.created',
			'key.revoked',
			'key.deleted',
			'key.rotated',
			'request.verified',
			'request.rejected',
			'error',
		] as const) {
			keyward.on(name, (event) => seen.push(event))
		}
		const secrets: string[] = []
		const created = await keyward.createKey({ owner: 'a', scopes: ['r'], monthlyQuota: 1, expiresIn: 1000 })
		secrets.push(created.key)
		const other = await createKeyward().createKey({ owner: 'x' })
		secrets.push(other.key)
		const results: unknown[] = []
		results.push(await keyward.verifyKey(created.key))
		results.push(await keyward.verifyKey(created.key)) // 429
		results.push(await keyward.verifyKey(created.key, { scopes: ['w'] })) // 403
		results.push(await keyward.verifyKey(other.key)) // invalid
		results.push(
			await keyward.verifyKey(`${created.key.slice(0, -1)}${created.key.endsWith('0') ? '1' : '0'}`),
		) // malformed
		results.push(
			await keyward.verify({ headers: { 'x-api-key': created.key }, url: `/?api_key=${other.key}` }),
		)
		failing = true
		results.push(await keyward.verifyKey(created.key)) // 503
		failing = false
		const rotated = await keyward.rotateKey(created.info.id, { graceMs: 10 })
		secrets.push(rotated.key)
		await keyward.revokeKey(rotated.key)
		await keyward.deleteKey(rotated.info.id)
		const errors: unknown[] = []
		for (const attempt of [
			() => keyward.getKey(other.key),
			() => keyward.rotateKey(rotated.key),
			() => createKeyward({ store: brokenStore() }).revokeKey(created.key),
			() => keyward.createKey({ owner: created.key, scopes: [`bad ${created.key}`] }),
		]) {
			errors.push(await attempt().catch((e: unknown) => e))
		}
		expect(errors.every((e) => e instanceof Error)).toBe(true)
		const text = serialise({ seen, results, errors, output })
		expect(seen.length).toBeGreaterThan(8)
		for (const secret of secrets) {
			expect(text).not.toContain(secret)
			expect(text).not.toContain(secret.slice(3, 30))
		}
		const hashes = (await store.list({})).map((r) => r.hash)
		for (const hash of hashes) expect(text).not.toContain(hash)
	})
})
