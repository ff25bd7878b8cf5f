import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startScript } from '@keyward/internal-testing'
import { expect, it } from 'vitest'

it('pnpm --filter @keyward/example-dashboard start serves the page on PORT=0', async () => {
	const dir = mkdtempSync(join(tmpdir(), 'keyward-dashboard-start-'))
	const started = startScript('@keyward/example-dashboard', {
		PORT: '0',
		KEYWARD_DATA_DIR: join(dir, 'db'),
		KEYWARD_PG_URL: '',
		KEYWARD_REDIS_URL: '',
	})
	try {
		const [, base] = await started.waitForLine(/key dashboard on (http:\/\/127\.0\.0\.1:\d+)\//)
		const page = await fetch(`${base}/`)
		expect(page.status).toBe(200)
		expect(await page.text()).toContain('<html')
		expect((await fetch(`${base}/api/hello`)).status).toBe(401)
	} finally {
		await started.stop()
		rmSync(dir, { recursive: true, force: true })
	}
}, 120_000)
