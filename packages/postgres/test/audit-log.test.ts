import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { PGlite } from '@electric-sql/pglite'
import { createKeyward, keyPattern } from '@keyward/core'
import {
	type AuditAction,
	type AuditEntry,
	attachAuditSink,
	createJsonLinesAuditSink,
	withAuditContext,
} from '@keyward/core/management'
import { pgUrl, probePostgres, uniqueName, useService } from '@keyward/internal-testing'
import { PostgresAuditLog, PostgresStore, type Queryable } from '@keyward/postgres'
import fc from 'fast-check'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const available = useService(await probePostgres())
const scratch = mkdtempSync(join(tmpdir(), 'keyward-audit-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function entry(overrides: Partial<AuditEntry> = {}): AuditEntry {
	return {
		at: new Date(Date.UTC(2026, 10, 23, 9, 45, 12, 345)),
		action: 'key.created',
		keyId: 'abcdEFGH1234',
		owner: 'acme',
		actor: 'ops',
		source: 'cli@host',
		previousKeyId: null,
		...overrides,
	}
}

/** The audit log tests, on a client shared by the file; every test gets its own table prefix. */
function auditLogSuite(client: () => Queryable, schema?: string) {
	let serial = 0
	const fresh = async () => {
		const log = new PostgresAuditLog({ client: client(), schema, tablePrefix: `a${++serial}_` })
		await log.migrate()
		return log
	}

	it('migrates idempotently, also from several callers at once', async () => {
		const logs = Array.from(
			{ length: 4 },
			() => new PostgresAuditLog({ client: client(), schema, tablePrefix: 'race_' }),
		)
		await Promise.all(logs.map((log) => log.migrate()))
		await logs[0]?.migrate()
		await logs[1]?.write(entry())
		expect(await logs[2]?.list()).toEqual([entry()])
	})

	it('round-trips every field and lists newest first, filtered and limited', async () => {
		const log = await fresh()
		const minute = 60_000
		const base = entry().at.getTime()
		const written: AuditEntry[] = [
			entry({ keyId: 'k1', at: new Date(base) }),
			entry({ keyId: 'k2', owner: 'globex', actor: null, source: null, at: new Date(base + minute) }),
			entry({ action: 'key.rotated', keyId: 'k3', previousKeyId: 'k1', at: new Date(base + 2 * minute) }),
			entry({ action: 'key.revoked', keyId: 'k1', actor: 'ünï 😀', at: new Date(base + 3 * minute) }),
		]
		for (const e of written) await log.write(e)
		expect(await log.list()).toEqual([...written].reverse())
		expect((await log.list({ keyId: 'k1' })).map((e) => e.action)).toEqual([
			'key.revoked',
			'key.rotated',
			'key.created',
		])
		expect((await log.list({ owner: 'globex' })).map((e) => e.keyId)).toEqual(['k2'])
		expect((await log.list({ owner: 'acme', keyId: 'k3' })).map((e) => e.keyId)).toEqual(['k3'])
		expect((await log.list({ limit: 1 })).map((e) => e.keyId)).toEqual(['k1'])
		expect(await log.list({ owner: "acme' OR '1'='1" })).toEqual([])
	})

	it('refuses malformed entries and limits without writing', async () => {
		const log = await fresh()
		const bad = [
			{ ...entry(), action: 'key.stolen' as AuditAction },
			{ ...entry(), at: new Date(Number.NaN) },
			{ ...entry(), keyId: 42 as unknown as string },
			{ ...entry(), actor: undefined as unknown as null },
			null as unknown as AuditEntry,
		]
		for (const e of bad) await expect(log.write(e)).rejects.toThrow(TypeError)
		for (const limit of [0, 1001, 1.5, Number.NaN])
			await expect(log.list({ limit })).rejects.toThrow(RangeError)
		expect(await log.list()).toEqual([])
	})

	it('stores any text verbatim', async () => {
		const log = await fresh()
		const text = fc.string({ unit: 'grapheme', maxLength: 60 }).map((s) => s.replace(/\0/g, ''))
		await fc.assert(
			fc.asyncProperty(text, text, fc.option(text, { nil: null }), async (keyId, owner, actor) => {
				const e = entry({ keyId, owner, actor, at: new Date() })
				await log.write(e)
				expect((await log.list({ keyId, owner, limit: 1 }))[0]).toEqual(e)
			}),
			{ numRuns: 40 },
		)
	})

	it('reads what a PostgresStore of the same tables records, with no key material in the table', async () => {
		const store = new PostgresStore({ client: client(), schema, tablePrefix: `s${++serial}_` })
		await store.migrate()
		const log = new PostgresAuditLog({ client: client(), schema, tablePrefix: `s${serial}_` })
		await log.migrate()
		const keyward = createKeyward({ store, lastUsed: false })
		const { key, info } = await keyward.createKey({ owner: 'acme' })
		const rotated = await withAuditContext({ actor: 'ada', source: 'test' }, () => keyward.rotateKey(info.id))
		await keyward.deleteKey(info.id)
		const entries = await log.list({ owner: 'acme' })
		expect(entries.map((e) => [e.action, e.keyId, e.actor, e.source, e.previousKeyId])).toEqual([
			['key.deleted', info.id, null, null, null],
			['key.rotated', rotated.info.id, 'ada', 'test', info.id],
			['key.created', info.id, null, null, null],
		])
		expect(await store.listAudit({ owner: 'acme' })).toEqual(entries)
		const { rows } = await client().query(`SELECT * FROM ${log.table}`)
		const dump = JSON.stringify(rows)
		for (const secret of [key, rotated.key]) expect(dump).not.toContain(secret)
		expect(dump.match(keyPattern())).toBeNull()
	})

	it('keeps logs with different prefixes apart and validates names', async () => {
		const [a, b] = [await fresh(), await fresh()]
		await a.write(entry())
		expect(await b.list()).toEqual([])
		expect(() => new PostgresAuditLog({ client: client(), tablePrefix: 'x"; DROP' })).toThrow(TypeError)
		expect(() => new PostgresAuditLog({ client: client(), schema: '1bad' })).toThrow(TypeError)
		expect(() => new PostgresAuditLog({} as never)).toThrow(TypeError)
	})
}

describe('PostgresAuditLog on PGlite', () => {
	let db: PGlite
	beforeAll(async () => {
		db = new PGlite()
		await db.waitReady
	}, 30_000)
	afterAll(() => db.close())
	auditLogSuite(() => db)
})

describe.skipIf(!available)('PostgresAuditLog on PostgreSQL', () => {
	const schema = uniqueName('kw_audit')
	let pool: pg.Pool
	beforeAll(() => {
		pool = new pg.Pool({ connectionString: pgUrl, max: 4 })
	})
	afterAll(async () => {
		await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
		await pool.end()
	})
	auditLogSuite(() => pool, schema)
})

describe('attachAuditSink', () => {
	it('takes actor and source from the innermost context, else from its options', async () => {
		const keyward = createKeyward()
		const entries: AuditEntry[] = []
		attachAuditSink(keyward, { write: (e) => void entries.push(e) }, { actor: 'fallback', source: 'here' })
		const a = await keyward.createKey({ owner: 'o' })
		await withAuditContext({ actor: 'outer', source: '10.0.0.1' }, async () => {
			await keyward.revokeKey(a.info.id)
			await withAuditContext({ actor: 'x'.repeat(300), source: 5 as unknown as string }, () =>
				keyward.deleteKey(a.info.id),
			)
		})
		expect(entries.map((e) => [e.action, e.actor, e.source])).toEqual([
			['key.created', 'fallback', 'here'],
			['key.revoked', 'outer', '10.0.0.1'],
			['key.deleted', 'x'.repeat(256), 'here'],
		])
		expect(Object.isFrozen(entries[0])).toBe(true)
	})

	it('writes in event order through a slow sink, survives failures, and detaches', async () => {
		const keyward = createKeyward()
		const written: (string | null)[] = []
		const failed: (string | null)[] = []
		let calls = 0
		const sink = {
			async write(e: AuditEntry) {
				calls++
				await new Promise((resolve) => setTimeout(resolve, calls % 2 === 0 ? 1 : 15))
				if (calls === 2) throw new Error('disk full')
				written.push(e.keyId)
			},
		}
		const audit = attachAuditSink(keyward, sink, { onError: (_error, e) => failed.push(e.keyId) })
		const ids: string[] = []
		for (let i = 0; i < 4; i++) ids.push((await keyward.createKey({ owner: 'o' })).info.id)
		await audit.flush()
		expect(failed).toEqual([ids[1]])
		expect(written).toEqual([ids[0], ids[2], ids[3]])
		audit.detach()
		await keyward.createKey({ owner: 'o' })
		await audit.flush()
		expect(calls).toBe(4)
	})

	it('warns about a failed entry by default and refuses bad arguments', async () => {
		const keyward = createKeyward()
		const warnings: string[] = []
		const onWarning = (w: Error) => warnings.push(w.message)
		process.on('warning', onWarning)
		try {
			const audit = attachAuditSink(keyward, { write: () => Promise.reject(new Error('nope')) })
			await keyward.createKey({ owner: 'o' })
			await audit.flush()
			await new Promise((resolve) => setImmediate(resolve))
			expect(warnings).toEqual(['keyward audit entry not written: nope'])
		} finally {
			process.off('warning', onWarning)
		}
		expect(() => attachAuditSink(keyward, {} as never)).toThrow(/write/)
		expect(() => attachAuditSink({} as never, { write() {} })).toThrow(/keyward/)
		expect(() => createJsonLinesAuditSink('')).toThrow(expect.objectContaining({ code: 'invalid_argument' }))
		expect(() => createJsonLinesAuditSink({} as never)).toThrow(/stream/)
	})
})

describe('createJsonLinesAuditSink', () => {
	it('appends one JSON object per line to a private file, whole lines under concurrency', async () => {
		const file = join(scratch, 'audit.jsonl')
		const [a, b] = [createJsonLinesAuditSink(file), createJsonLinesAuditSink(file)]
		await Promise.all(
			Array.from({ length: 50 }, (_, i) =>
				(i % 2 === 0 ? a : b).write(entry({ keyId: `k${i}`, owner: 'ä"\n' })),
			),
		)
		const lines = readFileSync(file, 'utf8').split('\n')
		expect(lines.pop()).toBe('')
		expect(lines).toHaveLength(50)
		const parsed = lines.map((line) => JSON.parse(line))
		expect(parsed[0]).toEqual({
			...entry({ owner: 'ä"\n' }),
			at: '2026-11-23T09:45:12.345Z',
			keyId: parsed[0].keyId,
		})
		expect(new Set(parsed.map((p) => p.keyId)).size).toBe(50)
		expect(statSync(file).mode & 0o777).toBe(0o600)
	})

	it('writes to a stream, and reports a file it cannot write', async () => {
		const stream = new PassThrough()
		const chunks: string[] = []
		stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()))
		await createJsonLinesAuditSink(stream).write(entry())
		expect(JSON.parse(chunks.join(''))).toMatchObject({ action: 'key.created', previousKeyId: null })
		await expect(
			createJsonLinesAuditSink(join(scratch, 'missing', 'a.jsonl')).write(entry()),
		).rejects.toThrow(/ENOENT/)
	})
})
