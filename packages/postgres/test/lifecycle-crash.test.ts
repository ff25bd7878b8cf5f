import { setTimeout as delay } from 'node:timers/promises'
import { createKeyward } from '@keyward/core'
import {
	pgUrl,
	probePostgres,
	startTcpProxy,
	type TcpProxy,
	uniqueName,
	useService,
} from '@keyward/internal-testing'
import { PostgresStore } from '@keyward/postgres'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

const available = useService(await probePostgres())

/**
 * A process dying in the middle of a lifecycle change, played by cutting its connection while the
 * change waits on a row lock another session holds. With `client_connection_check_interval` the
 * server notices the lost client and aborts the statement; without it, the statement finishes
 * once the lock is released. Either way the database must hold the old state or the new one,
 * with audit rows to match, never a mixture.
 */
describe.skipIf(!available)('lifecycle changes cut off mid-way (PostgreSQL)', () => {
	const schema = uniqueName('kw_pg_crash')
	let proxy: TcpProxy
	let admin: pg.Pool
	let serial = 0
	const opened: pg.Pool[] = []

	beforeAll(async () => {
		proxy = await startTcpProxy(new URL(pgUrl))
		admin = new pg.Pool({ connectionString: pgUrl, max: 4 })
	})
	afterEach(async () => {
		await proxy.restore()
		for (const pool of opened.splice(0)) await pool.end().catch(() => {})
	})
	afterAll(async () => {
		await proxy.close()
		await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
		await admin.end()
	})

	/** A keyward whose store reaches PostgreSQL through the proxy; `abortOnDisconnect` sets the check interval. */
	async function keywardThroughProxy(abortOnDisconnect: boolean) {
		const tablePrefix = `c${++serial}_`
		await new PostgresStore({ client: admin, schema, tablePrefix }).migrate()
		const pool = new pg.Pool({
			connectionString: proxy.urlFor(pgUrl),
			max: 2,
			...(abortOnDisconnect ? { options: '-c client_connection_check_interval=20' } : {}),
		})
		pool.on('error', () => {})
		opened.push(pool)
		const store = new PostgresStore({ client: pool, schema, tablePrefix })
		const keyward = createKeyward({ store, cache: false, lastUsed: false, storeTimeoutMs: 60_000 })
		return { keyward, tables: store.tables }
	}

	/** Hold a row lock on key `id` in a transaction of its own until `release()`. */
	async function lockRow(table: string, id: string) {
		const client = await admin.connect()
		await client.query('BEGIN')
		await client.query(`SELECT id FROM ${table} WHERE id = $1 FOR UPDATE`, [id])
		return {
			async release() {
				await client.query('COMMIT')
				client.release()
			},
		}
	}

	/** Resolves once `waiting` statements on `table` wait for a lock (bounded: fails after 20 s). */
	async function waitersOn(table: string, waiting: 'some' | 'none'): Promise<void> {
		for (let i = 0; i < 400; i++) {
			const { rows } = await admin.query(
				`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND position($1 in query) > 0`,
				[table],
			)
			if ((rows[0] as { n: number }).n > 0 === (waiting === 'some')) return
			await delay(50)
		}
		throw new Error(`waiters on ${table} never became ${waiting}`)
	}

	/** Rows of the owner's keys and audit entries, read directly. */
	async function stateOf(tables: PostgresStore['tables'], owner: string) {
		const keys = await admin.query(
			`SELECT id, revoked_at, expires_at, replaced_by FROM ${tables.keys} WHERE owner = $1 ORDER BY created_at, id`,
			[owner],
		)
		const audit = await admin.query(
			`SELECT action, key_id, previous_key_id FROM ${tables.audit} WHERE owner = $1 AND action <> 'key.created'`,
			[owner],
		)
		return { keys: keys.rows, audit: audit.rows }
	}

	/**
	 * Start `change`, wait until it blocks on the lock, cut the connection, then release the lock:
	 * at once, or, when the server aborts statements of lost clients, once it has.
	 */
	async function cutWhileBlocked(
		table: string,
		lockedId: string,
		abortOnDisconnect: boolean,
		change: () => Promise<unknown>,
	): Promise<PromiseSettledResult<unknown>> {
		const lock = await lockRow(table, lockedId)
		const pending = change().then(
			(value) => ({ status: 'fulfilled', value }) as const,
			(reason: unknown) => ({ status: 'rejected', reason }) as const,
		)
		await waitersOn(table, 'some')
		await proxy.cut()
		const settled = await pending
		if (abortOnDisconnect) await waitersOn(table, 'none')
		await lock.release()
		// The server may still be finishing the statement it received: wait until nothing waits.
		for (let i = 0; i < 200; i++) {
			const { rows } = await admin.query(
				`SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND position($1 in query) > 0 AND pid <> pg_backend_pid()`,
				[table],
			)
			if ((rows[0] as { n: number }).n === 0) break
			await delay(50)
		}
		return settled
	}

	for (const abortOnDisconnect of [true, false]) {
		const mode = abortOnDisconnect ? 'the server aborts the statement' : 'the server finishes the statement'

		it(`rotation: old state or new state, with its audit row (${mode})`, async () => {
			const { keyward, tables } = await keywardThroughProxy(abortOnDisconnect)
			const { info } = await keyward.createKey({ owner: 'rot' })
			const outcome = await cutWhileBlocked(tables.keys, info.id, abortOnDisconnect, () =>
				keyward.rotateKey(info.id, { graceMs: 60_000 }),
			)
			expect(outcome.status).toBe('rejected')
			const { keys, audit } = await stateOf(tables, 'rot')
			if (keys.length === 1) {
				expect(keys[0].replaced_by).toBeNull()
				expect(audit).toEqual([])
			} else {
				expect(keys).toHaveLength(2)
				const successor = keys.find((k) => k.id !== info.id)
				expect(keys.find((k) => k.id === info.id)?.replaced_by).toBe(successor?.id)
				expect(audit).toEqual([{ action: 'key.rotated', key_id: successor?.id, previous_key_id: info.id }])
			}
			if (abortOnDisconnect) expect(keys).toHaveLength(1)
		})

		it(`rotation blocked after replacing the old key: all or nothing (${mode})`, async () => {
			const { keyward, tables } = await keywardThroughProxy(abortOnDisconnect)
			await proxy.restore()
			const { info: first } = await keyward.createKey({ owner: 'fam' })
			const { info: second } = await keyward.rotateKey(first.id, { graceMs: 60_000 })
			// The first key is in grace; rotating the second ends that grace in the same statement,
			// which waits on the first key's row after the second key was already marked replaced.
			const outcome = await cutWhileBlocked(tables.keys, first.id, abortOnDisconnect, () =>
				keyward.rotateKey(second.id, { graceMs: 60_000 }),
			)
			expect(outcome.status).toBe('rejected')
			const { keys, audit } = await stateOf(tables, 'fam')
			const rotations = audit.filter((a) => a.previous_key_id === second.id)
			const secondRow = keys.find((k) => k.id === second.id)
			if (keys.length === 2) {
				expect(secondRow?.replaced_by).toBeNull()
				expect(rotations).toEqual([])
			} else {
				expect(keys).toHaveLength(3)
				expect(secondRow?.replaced_by).toBe(rotations[0]?.key_id)
				expect(rotations).toHaveLength(1)
			}
			if (abortOnDisconnect) expect(keys).toHaveLength(2)
		})

		it(`revoke-all: every key or none, each with its audit row (${mode})`, async () => {
			const { keyward, tables } = await keywardThroughProxy(abortOnDisconnect)
			const created = []
			for (let i = 0; i < 3; i++) created.push((await keyward.createKey({ owner: 'all' })).info)
			// Lock the last key the statement reaches: newest first is not promised, so lock the middle one.
			const outcome = await cutWhileBlocked(tables.keys, created[1]?.id as string, abortOnDisconnect, () =>
				keyward.revokeAll('all'),
			)
			expect(outcome.status).toBe('rejected')
			const { keys, audit } = await stateOf(tables, 'all')
			const revoked = keys.filter((k) => k.revoked_at !== null)
			expect([0, 3]).toContain(revoked.length)
			expect(audit).toHaveLength(revoked.length)
			if (abortOnDisconnect) expect(revoked).toHaveLength(0)
		})
	}
})
