import { createKeyward, MemoryStore } from '@keyward/core'
import { describe, expect, it } from 'vitest'
import { type AuditLog, type CliIo, runCli } from '../src/index.js'

/** 2026-11-15 12:00 UTC: the clock of the application and of the command alike. */
const NOON = Date.UTC(2026, 10, 15, 12)
const DAY = 86_400_000

/** A keyward over a MemoryStore with a settable clock, and the CLI's view of it. */
function memory() {
	let now = NOON
	const store = new MemoryStore()
	const audit: AuditLog = { list: (query) => store.listAudit(query) }
	const keyward = createKeyward({ store, lastUsed: false, now: () => now })
	const io: Partial<CliIo> = {
		env: {},
		cwd: '/srv/app',
		now: () => NOON,
		openDatabase: async () => ({ keyward, audit, close: async () => {} }),
	}
	return { keyward, io, at: (ms: number) => (now = ms) }
}

async function run(argv: string[], io: Partial<CliIo>) {
	let stdout = ''
	let stderr = ''
	const code = await runCli(argv, { ...io, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) })
	return { code, stdout, stderr }
}

/** Traffic on three of the last five days: some refused for a scope the key lacks. */
async function traffic(keyward: ReturnType<typeof memory>['keyward'], at: (ms: number) => number) {
	const { key, info } = await keyward.createKey({ owner: 'acme', scopes: ['read'], monthlyQuota: 100 })
	const other = await keyward.createKey({ owner: 'acme' })
	const verify = async (day: number, count: number, scopes: string[] = ['read'], which = key) => {
		at(NOON - day * DAY)
		for (let i = 0; i < count; i++) await keyward.verifyKey(which, { scopes })
	}
	await verify(3, 5)
	await verify(1, 40)
	await verify(1, 8, ['write'])
	await verify(0, 2)
	await verify(0, 6, [], other.key)
	at(NOON)
	// Written to the store, as the application's flush would.
	await keyward.flush()
	return info.id
}

describe('keyward usage --days', () => {
	it("draws a key's requests per day, refusals apart, with totals by outcome", async () => {
		const { keyward, io, at } = memory()
		const id = await traffic(keyward, at)
		const out = await run(['usage', id, '--days', '5'], io)
		expect(out).toMatchObject({ code: 0, stderr: '' })
		expect(out.stdout).toBe(
			[
				`Key ${id} used 47 of 100 requests (53 left) in 2026-11; the count resets 2026-12-01 00:00:00Z.`,
				'',
				`Requests per day (UTC) of key ${id}, last 5 days:`,
				'2026-11-11                                             0',
				'2026-11-12  ###                                        5',
				'2026-11-13                                             0',
				'2026-11-14  ####################xxxx                  48  (8 refused)',
				'2026-11-15  #                                          2',
				'Total 55 requests: 47 ok, 8 refused (insufficient_scope 8).',
				'# ok, x refused; one character is up to 2 requests.',
				'',
			].join('\n'),
		)
	})

	it('answers --json with the month and the history, and draws an account', async () => {
		const { keyward, io, at } = memory()
		const id = await traffic(keyward, at)
		const json = JSON.parse((await run(['usage', id, '--days', '2', '--json'], io)).stdout)
		expect(json).toMatchObject({ id, used: 47, limit: 100, history: { key: id, granularity: 'day' } })
		expect(
			json.history.buckets.map((b: { start: string; requests: number }) => [b.start, b.requests]),
		).toEqual([
			['2026-11-14T00:00:00.000Z', 48],
			['2026-11-15T00:00:00.000Z', 2],
		])
		const owner = await run(['owner', 'usage', 'acme', '--days', '2'], io)
		expect(owner.stdout.split('\n')).toEqual([
			'Requests per day (UTC) of the keys of acme, last 2 days:',
			'2026-11-14  ####################xxxx                  48  (8 refused)',
			'2026-11-15  ####                                       8',
			'Total 56 requests: 48 ok, 8 refused (insufficient_scope 8).',
			'# ok, x refused; one character is up to 2 requests.',
			'',
		])
		// An account with a shared quota: its month comes first.
		await keyward.setOwner('acme', { monthlyQuota: 1000 })
		await keyward.verifyKey((await keyward.createKey({ owner: 'acme' })).key)
		const limited = await run(['owner', 'usage', 'acme', '--days', '1'], io)
		expect(limited.stdout.split('\n').slice(0, 4)).toEqual([
			'Owner acme used 1 of 1000 requests in 2026-11, all its keys together.',
			'',
			'Requests per day (UTC) of the keys of acme, last day:',
			'2026-11-15  #########                                 9',
		])
		expect(
			JSON.parse((await run(['owner', 'usage', 'acme', '--json'], io)).stdout).history.buckets,
		).toHaveLength(30)
	})

	it('refuses a bad number of days before opening anything', async () => {
		const { io } = memory()
		for (const days of ['0', '367', 'week']) {
			const out = await run(['usage', 'abcd1234abcd', '--days', days], io)
			expect(out.code).toBe(2)
			expect(out.stderr).toMatch(
				/^keyward: invalid --days <n>: expected a number of days from 1 to 366|expected a whole number/,
			)
		}
	})
})
