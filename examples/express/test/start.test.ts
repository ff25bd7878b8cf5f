import { startExample } from '@keyward/internal-testing'
import { expect, it } from 'vitest'

it('pnpm --filter @keyward/example-express start serves the API on PORT=0, with the key it prints', async () => {
	const started = startExample('@keyward/example-express', { PORT: '0' })
	try {
		const [, base] = await started.waitForLine(/listening on (http:\/\/127\.0\.0\.1:\d+)/)
		const [, key] = await started.waitForLine(/Apikey (kw_\w+)' /)
		const hello = await fetch(`${base}/api/hello`, { headers: { authorization: `Apikey ${key}` } })
		expect(hello.status).toBe(200)
		expect(((await hello.json()) as { message: string }).message).toBe('Hello, demo-user!')
		expect((await fetch(`${base}/api/hello`)).status).toBe(401)
	} finally {
		await started.stop()
	}
}, 120_000)
