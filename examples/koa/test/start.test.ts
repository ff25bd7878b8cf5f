import { startExample } from '@keyward/internal-testing'
import { expect, it } from 'vitest'

it('pnpm --filter @keyward/example-koa start serves the API on PORT=0, with the key it prints', async () => {
	const started = startExample('@keyward/example-koa', { PORT: '0' })
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
	}
}, 120_000)
