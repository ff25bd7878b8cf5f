import { startScript } from '@keyward/internal-testing'
import { expect, it } from 'vitest'

it('pnpm --filter @keyward/example-node-http start serves on PORT=0, with the key it prints', async () => {
	const started = startScript('@keyward/example-node-http', { PORT: '0' })
	try {
		const [, key, url] = await started.waitForLine(/Apikey (kw_\w+)' (http:\/\/127\.0\.0\.1:\d+\/reports)/)
		const res = await fetch(url as string, { headers: { authorization: `Apikey ${key}` } })
		expect(res.status).toBe(200)
		expect(await res.json()).toMatchObject({ owner: 'acme' })
		expect((await fetch(url as string)).status).toBe(401)
	} finally {
		await started.stop()
	}
}, 120_000)
