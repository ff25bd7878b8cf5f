import { expectFiveMinuteExample, type NodeProcess, startReadmeExample } from '@keyward/internal-testing'
import { afterAll, expect, it } from 'vitest'

let example: NodeProcess | undefined

afterAll(() => example?.stop())

it("runs the README's five-minute example verbatim", async () => {
	example = startReadmeExample(new URL('../', import.meta.url), 'Five minutes', { PORT: '0' })
	const { key, url } = await expectFiveMinuteExample(example, '/health')
	expect((await fetch(`${url}?api_key=${key}`)).status).toBe(200)
	expect((await fetch(`${new URL('/%zz', url)}?api_key=${key}`)).status).toBe(400)
	// The logger writes JSON lines to stdout: none holds the key, though it came in the query twice.
	await expect.poll(() => example?.output().match(/incoming request/g)?.length).toBe(5)
	expect(example.output().split(key).length).toBe(2)
})
