import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { CredentialsFile } from '../src/credentials-file.js'
import { KEY, useTempDirs } from './helpers.js'

const run = promisify(execFile)
const tempDir = useTempDirs()
// Child processes run plain Node, so they load the built package (`tsc -b` runs before the tests).
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url))

const writer = `
const [entry, path, profile, key] = process.argv.slice(1)
const { CredentialsFile } = await import(entry)
await new CredentialsFile({ path, lock: { retryDelayMs: 2 } }).set(profile, key)
`

describe('CredentialsFile across processes', () => {
	beforeAll(() => {
		if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`npx tsc -b packages/client\` first`)
	})

	it('keeps every profile when 20 processes write at once', async () => {
		const path = join(await tempDir(), 'example', 'credentials')
		const profiles = Array.from({ length: 20 }, (_, i) => `writer-${i}`)
		await Promise.all(
			profiles.map((profile, i) =>
				run(process.execPath, ['--input-type=module', '-e', writer, dist, path, profile, `${KEY}${i}`]),
			),
		)
		const file = new CredentialsFile({ path })
		expect((await file.list()).sort()).toEqual([...profiles].sort())
		for (const [i, profile] of profiles.entries()) expect(await file.get(profile)).toBe(`${KEY}${i}`)
	}, 60_000)
})
