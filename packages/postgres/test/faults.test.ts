import { createKeyward, type Keyward } from '@keyward/core'
import {
	type LoadSample,
	pgUrl,
	probePostgres,
	startLoad,
	startTcpProxy,
	type TcpProxy,
	uniqueName,
	useService,
} from '@keyward/internal-testing'
import { openPostgresStore } from '@keyward/postgres'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const available = useService(await probePostgres())

/** Every verify is answered with its status and code; nothing may throw. */
function verifier(keyward: Keyward, key: string) {
	return async () => {
		const result = await keyward.verify({ headers: { 'x-api-key': key }, url: '/' })
		return result.ok ? '200' : `${result.status} ${result.code}`
	}
}

const between = (samples: readonly LoadSample[], from: number, to = Number.POSITIVE_INFINITY) =>
	samples.filter((s) => s.startedAt >= from && s.endedAt <= to)

describe.skipIf(!available)('PostgreSQL failures', () => {
	const schema = uniqueName('kw_pg_fault')
	let proxy: TcpProxy
	// Each test's keyward closes its own store (and pool) at the end.
	const openStore = () =>
		openPostgresStore({ url: proxy.urlFor(pgUrl), schema, connectTimeoutMs: 1000, queryTimeoutMs: 1000 })

	beforeAll(async () => {
		proxy = await startTcpProxy(new URL(pgUrl))
	})
	afterAll(async () => {
		await proxy.close()
		const pool = new pg.Pool({ connectionString: pgUrl })
		await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
		await pool.end()
	})

	it('answers 503 while the server is cut away, lets no request through, and recovers alone', async () => {
		// No record cache: every request reads the key and consumes quota in PostgreSQL.
		const keyward = createKeyward({
			store: await openStore(),
			cache: false,
			lastUsed: false,
			storeTimeoutMs: 1000,
		})
		const quota = 300
		const { key, info } = await keyward.createKey({ owner: 'load', monthlyQuota: quota })
		const load = startLoad(verifier(keyward, key), 8)
		await load.until((s) => s.filter((x) => x.outcome === '200').length >= 100)

		await proxy.cut()
		const cutAt = performance.now()
		await load.until((s) => between(s, cutAt).length >= 40)
		await proxy.restore()
		const restoredAt = performance.now()
		// Recovery needs no help: the load runs on until the quota is used up.
		await load.until((s) => s.some((x) => x.outcome === '429 quota_exceeded'))
		await load.stop()

		const outcomes = new Set(load.samples.map((s) => s.outcome))
		expect([...outcomes].sort()).toEqual(['200', '429 quota_exceeded', '503 unavailable'])
		const whileCut = between(load.samples, cutAt, restoredAt)
		expect(whileCut.length).toBeGreaterThanOrEqual(40)
		expect(whileCut.every((s) => s.outcome === '503 unavailable')).toBe(true)
		expect(between(load.samples, restoredAt).some((s) => s.outcome === '200')).toBe(true)
		// Never more than the quota. A consume cut off after its commit counts without a 200,
		// so at most the requests in flight at the cut are lost.
		const passed = load.samples.filter((s) => s.outcome === '200').length
		expect(passed).toBeLessThanOrEqual(quota)
		expect(passed).toBeGreaterThanOrEqual(quota - 8)
		expect((await keyward.usage(info.id)).used).toBe(quota)
		await keyward.close()
	}, 30_000)

	it('answers 503 while the server hangs, within the store timeout, and recovers alone', async () => {
		const keyward = createKeyward({
			store: await openStore(),
			cache: false,
			lastUsed: false,
			storeTimeoutMs: 300,
		})
		const { key } = await keyward.createKey({ owner: 'load' })
		const load = startLoad(verifier(keyward, key), 8)
		await load.until((s) => s.filter((x) => x.outcome === '200').length >= 50)

		proxy.stall()
		const stalledAt = performance.now()
		await load.until((s) => between(s, stalledAt).length >= 24)
		proxy.resume()
		const resumedAt = performance.now()
		await load.until((s) => between(s, resumedAt).filter((x) => x.outcome === '200').length >= 20)
		await load.stop()

		const whileStalled = between(load.samples, stalledAt, resumedAt)
		expect(whileStalled.length).toBeGreaterThanOrEqual(24)
		expect(whileStalled.every((s) => s.outcome === '503 unavailable')).toBe(true)
		expect(load.samples.every((s) => s.outcome === '200' || s.outcome === '503 unavailable')).toBe(true)
		await keyward.close()
	}, 30_000)
})
