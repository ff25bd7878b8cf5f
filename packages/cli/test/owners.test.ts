import { createKeyward, MemoryStore } from '@keyward/core'
import { describe, expect, it } from 'vitest'
import { type AuditLog, type CliIo, runCli } from '../src/index.js'

function memory() {
	const store = new MemoryStore()
	const audit: AuditLog = { list: (query) => store.listAudit(query) }
	const keyward = createKeyward({ store, lastUsed: false, cache: false })
	const io: Partial<CliIo> = {
		env: {},
		cwd: '/srv/app',
		openDatabase: async () => ({ keyward, audit, close: async () => {} }),
	}
	return { keyward, store, io }
}

async function run(argv: string[], io: Partial<CliIo>) {
	let stdout = ''
	let stderr = ''
	const code = await runCli(argv, { ...io, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) })
	return { code, stdout, stderr }
}

describe('keyward owner', () => {
	it('sets, shows and lists account records', async () => {
		const { io, keyward } = memory()
		const set = await run(
			['owner', 'set', 'acme', '--scope', 'read:*', '--scope', 'write:users', '--quota', '100'],
			io,
		)
		expect(set).toMatchObject({ code: 0, stderr: '' })
		expect(set.stdout).toBe('Owner acme: scopes read:*,write:users, monthly quota 100, enabled.\n')
		const { key } = await keyward.createKey({ owner: 'acme', scopes: 'inherit' })
		await keyward.verifyKey(key)
		const shown = await run(['owner', 'show', 'acme'], io)
		expect(shown.stdout).toMatch(/Monthly quota +100/)
		expect(shown.stdout).toMatch(/This period +1\/100 requests \(\d{4}-\d{2}\)/)
		await run(['owner', 'set', 'beta', '--disable'], io)
		const listed = await run(['owner', 'list'], io)
		expect(listed.stdout.split('\n').slice(0, 3)).toEqual([
			'OWNER  SCOPES              QUOTA  STATUS',
			'acme   read:*,write:users  100    enabled',
			'beta   any                 none   disabled',
		])
		const json = JSON.parse((await run(['owner', 'show', 'beta', '--json'], io)).stdout)
		expect(json).toMatchObject({ id: 'beta', disabled: true, scopes: null, usage: { used: 0, limit: null } })
	})

	it('clears the quota and the scope restriction, and enables again', async () => {
		const { io, keyward } = memory()
		await run(['owner', 'set', 'acme', '--scope', 'read', '--quota', '5', '--disable'], io)
		const cleared = await run(['owner', 'set', 'acme', '--any-scope', '--unlimited', '--enable'], io)
		expect(cleared.stdout).toBe('Owner acme: scopes any, monthly quota none, enabled.\n')
		expect(await keyward.getOwner('acme')).toMatchObject({
			scopes: null,
			monthlyQuota: null,
			disabled: false,
		})
	})

	it('creates a key that inherits its owner’s scopes and lists it as INHERIT', async () => {
		const { io } = memory()
		const created = await run(['create', '--owner', 'acme', '--scope', 'inherit'], io)
		expect(created.code).toBe(0)
		expect((await run(['list'], io)).stdout).toMatch(/acme +- +INHERIT/)
	})

	it('refuses contradicting, empty and malformed requests with a usage error, changing nothing', async () => {
		const { io, keyward } = memory()
		for (const argv of [
			['owner', 'set', 'acme'],
			['owner', 'set', 'acme', '--quota', '5', '--unlimited'],
			['owner', 'set', 'acme', '--disable', '--enable'],
			['owner', 'set', 'acme', '--scope', 'a', '--any-scope'],
			['owner', 'set', 'acme', '--quota', '-1'],
			['owner', 'set', 'acme', '--scope', 'a b'],
			['owner', 'set'],
		]) {
			const out = await run(argv, io)
			expect(out.code, argv.join(' ')).toBe(2)
			expect(out.stdout).toBe('')
		}
		expect(await keyward.listOwners()).toEqual([])
		const missing = await run(['owner', 'show', 'nobody'], io)
		expect(missing).toMatchObject({ code: 1, stderr: expect.stringMatching(/nobody has no owner record/) })
		expect((await run(['owner', 'list'], io)).stdout).toBe('No owner records.\n')
	})
})
