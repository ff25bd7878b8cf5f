import { expectFiveMinuteExample, type NodeProcess, startReadmeExample } from '@keyward/internal-testing'
import { afterAll, expect, it } from 'vitest'

let example: NodeProcess | undefined

afterAll(() => example?.stop())

it("runs the README's five-minute example verbatim", async () => {
	example = startReadmeExample(new URL('../', import.meta.url), 'Five minutes (Hono on Node)', { PORT: '0' })
	const { key, url } = await expectFiveMinuteExample(example, '/health')
	const byQuery = await fetch(`${url}?api_key=${key}`)
	expect([byQuery.status, await byQuery.json()]).toEqual([200, { owner: 'acme' }])
})
