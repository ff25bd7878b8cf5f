import { spawn } from 'node:child_process'
import { expect, it } from 'vitest'
import { binary } from './scenario.js'

/** Run the binary with its stdout closed by the reader before it writes, like `keyward ... | head -0`. */
function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [binary, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
		child.stdout.destroy()
		let stderr = ''
		child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
			stderr += chunk
		})
		child.on('error', reject)
		child.on('close', (code) => resolve({ code, stderr }))
	})
}

it('exits quietly with 141, as a process ended by SIGPIPE, when the reader of its output is gone', async () => {
	for (const args of [['create', '--help'], ['--help'], ['--version']]) {
		const run = await runWithClosedStdout(args)
		expect([args, run.code, run.stderr]).toEqual([args, 141, ''])
	}
}, 30_000)

it('keeps the exit status of a failed command when stdout is gone', async () => {
	const run = await runWithClosedStdout(['create', '--bogus'])
	expect(run.code).toBe(2)
	expect(run.stderr).toMatch(/unknown option '--bogus'/)
}, 30_000)
