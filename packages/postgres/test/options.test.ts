import { KeywardError } from '@keyward/core'
import { openPostgresStore, PostgresAuditLog, PostgresStore } from '@keyward/postgres'
import { describe, expect, it } from 'vitest'

/** A client that fails the test if the store talks to it: option errors come before any I/O. */
const silent = {
	query: async () => {
		throw new Error('no query may run')
	},
}

const invalidOption = (pattern: RegExp) =>
	expect.objectContaining({ code: 'invalid_option', message: expect.stringMatching(pattern) })

describe('options of @keyward/postgres', () => {
	it('refuses openPostgresStore({ uri }) instead of opening an in-memory database', async () => {
		await expect(openPostgresStore({ uri: 'postgres://x@y/z' } as never)).rejects.toEqual(
			invalidOption(/^Unknown option "uri" in openPostgresStore options \(did you mean "url"\?\)$/),
		)
	})

	it('refuses to guess a database when url is unset and no dataDir was given', async () => {
		const unset: string | undefined = undefined
		for (const [options, why] of [
			[{}, /neither url nor dataDir was given/],
			[{ url: unset }, /url is undefined \(is its environment variable set\?\)/],
			[{ url: '' }, /url is empty/],
		] as const) {
			const error = await openPostgresStore(options).catch((e: unknown) => e)
			expect(error).toBeInstanceOf(KeywardError)
			expect((error as Error).message).toMatch(why)
			expect((error as Error).message).toMatch(/dataDir: 'memory:\/\/' for one in memory/)
		}
		await expect(openPostgresStore(undefined as never)).rejects.toEqual(
			invalidOption(/expects an options object/),
		)
	})

	it('refuses malformed url and dataDir values', async () => {
		await expect(openPostgresStore({ url: 'mysql://x' })).rejects.toThrow(/postgres:\/\//)
		await expect(openPostgresStore({ dataDir: '' })).rejects.toThrow(/dataDir must be/)
		await expect(openPostgresStore({ url: 5 as never })).rejects.toThrow(/url must be a string/)
	})

	it('opens an in-memory database when asked for one explicitly', async () => {
		const store = await openPostgresStore({ dataDir: 'memory://' })
		try {
			expect(await store.schemaVersion()).toBeGreaterThan(0)
		} finally {
			await store.close()
		}
	}, 60_000)

	it('refuses new PostgresStore({ client, shcema }) and PostgresAuditLog typos, before any query', () => {
		expect(() => new PostgresStore({ client: silent, shcema: 'auth' } as never)).toThrow(
			invalidOption(/^Unknown option "shcema" in PostgresStore options \(did you mean "schema"\?\)$/),
		)
		expect(() => new PostgresStore({ client: silent, tableprefix: 'x_' } as never)).toThrow(
			/did you mean "tablePrefix"/,
		)
		expect(() => new PostgresAuditLog({ client: silent, prefix: 'x_' } as never)).toThrow(
			/Unknown option "prefix" in PostgresAuditLog options/,
		)
	})
})
