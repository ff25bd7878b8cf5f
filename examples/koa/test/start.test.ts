import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startScript } from '@keyward/internal-testing'
import { expect, it } from 'vitest'

it('pnpm --filter @keyward/example-koa start serves the API on PORT=0, with the key it prints', async () => {
	const dir = mkdtempSync(join(tmpdir(), 'keyward-koa-start-'))
	const started = startScript('@keyward/example-koa', {
		PORT: '0',
		KEYWARD_DATA_DIR: join(dir, 'db'),
		KEYWARD_PG_URL: '',
		KEYWARD_REDIS_URL: '',
	})
	try {
		const [, key, base] = await started.waitForLine(
			/Apikey (kw_\w+)' (http:\/\/127\.0\.0\.1:\d+)\/api\/reports/,
		)
		const reports = await fetch(`${base}/api/reports`, { headers: { authorization: `Apikey ${key}` } })
		expect(reports.status).toBe(200)
		expect((await fetch(`${base}/public`)).status).toBe(200)
		expect((await fetch(`${base}/api/reports`)).status).toBe(401)
	} finally {
		await started.stop()
		rmSync(dir, { recursive: true, force: true })
	}
}, 120_000)
