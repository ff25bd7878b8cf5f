import { startExample } from '@keyward/internal-testing'
import { expect, it } from 'vitest'

it('pnpm --filter @keyward/example-dashboard start serves the page on PORT=0', async () => {
	const started = startExample('@keyward/example-dashboard', { PORT: '0' })
	try {
		const [, base] = await started.waitForLine(/key dashboard on (http:\/\/127\.0\.0\.1:\d+)\//)
		const page = await fetch(`${base}/`)
		expect(page.status).toBe(200)
		expect(await page.text()).toContain('<html')
		expect((await fetch(`${base}/api/hello`)).status).toBe(401)
	} finally {
		await started.stop()
	}
}, 120_000)
