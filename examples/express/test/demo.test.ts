import { execFile, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const demo = fileURLToPath(new URL('../dist/demo.js', import.meta.url))
// The default set-up: an embedded PGlite database on disk and in-process quota counting.
const dataDir = join(mkdtempSync(join(tmpdir(), 'keyward-demo-')), 'db')
const child = spawn(process.execPath, [demo], {
	env: { ...process.env, PORT: '0', KEYWARD_DATA_DIR: dataDir, KEYWARD_PG_URL: '', KEYWARD_REDIS_URL: '' },
	stdio: ['ignore', 'pipe', 'pipe'],
})

afterAll(() => {
	child.kill('SIGTERM')
})

/** Collects the demo's output until it has printed its instructions. */
const printed = new Promise<string>((resolve, reject) => {
	let out = ''
	child.stdout.on('data', (chunk: Buffer) => {
		out += chunk.toString()
		if (out.includes('Press Ctrl+C')) resolve(out)
	})
	child.once('exit', (code) => reject(new Error(`demo exited with ${code}`)))
})

/** Runs one printed curl line through a shell, as a user pasting it would. */
async function curl(line: string): Promise<{ status: number; body: string }> {
	const { stdout } = await run('sh', ['-c', `${line.trim()} --silent --show-error`])
	const [head = '', body = ''] = stdout.split(/\r\n\r\n/)
	return { status: Number(head.split(' ')[1]), body }
}

describe('demo command', () => {
	it('prints curl lines that work as printed', { timeout: 60_000 }, async () => {
		const output = await printed
		expect(output).toContain(`keys in PGlite in ${dataDir}, quotas in this process`)
		const lines = output.split('\n').filter((l) => l.trim().startsWith('curl '))
		expect(lines.length).toBeGreaterThanOrEqual(6)
		const hello = await curl(lines[0] as string)
		expect(hello.status).toBe(200)
		expect(JSON.parse(hello.body).message).toBe('Hello, demo-user!')
		expect((await curl(lines[1] as string)).status).toBe(200)
		expect((await curl(lines[2] as string)).status).toBe(200)
		expect((await curl(lines[3] as string)).status).toBe(403)
		expect((await curl(lines[4] as string)).status).toBe(200)
		const wrong = await curl((lines[5] as string).split('#')[0] as string)
		expect(wrong.status).toBe(401)
		expect(JSON.parse(wrong.body)).toEqual({ detail: 'Invalid API key', code: 'malformed' })
	})
})
