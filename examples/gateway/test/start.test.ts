import { startScript } from '@keyward/internal-testing'
import { expect, it } from 'vitest'

it('pnpm --filter @keyward/example-gateway start runs both services on free ports', async () => {
	const started = startScript('@keyward/example-gateway', { EDGE_PORT: '0', INTERNAL_PORT: '0' })
	try {
		const [, edge] = await started.waitForLine(/edge service\s+(http:\/\/127\.0\.0\.1:\d+)/)
		const [, internal] = await started.waitForLine(/internal service\s+(http:\/\/127\.0\.0\.1:\d+)/)
		const [, key] = await started.waitForLine(/Demo API key \(shown once\): (kw_\w+)/)
		const reports = await fetch(`${edge}/api/reports`, { headers: { authorization: `Apikey ${key}` } })
		expect(reports.status).toBe(200)
		expect((await fetch(`${internal}/reports`)).status).toBe(401)
	} finally {
		await started.stop()
	}
}, 120_000)
