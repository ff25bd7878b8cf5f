import { type ChildProcess, spawn } from 'node:child_process'

/** A Node.js child process started by {@link startNodeProcess}. */
export interface NodeProcess {
	readonly child: ChildProcess
	/** Everything written to stdout and stderr so far (for failure messages). */
	output(): string
	/** Resolves with the first stdout line matching `pattern`; rejects on exit or after `timeoutMs`. */
	waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
	/** Resolves with the exit code once the process has ended. */
	exited(): Promise<number | null>
	/** Send SIGTERM (SIGKILL after `graceMs`) and wait for the exit. */
	stop(graceMs?: number): Promise<void>
}

/**
 * Run `node <script> ...args` with `env` added to this process's environment.
 * @example
 * const server = startNodeProcess(fileURLToPath(new URL('./server.mjs', import.meta.url)), { PORT: '0' })
 * const [, port] = await server.waitForLine(/listening on (\d+)/)
 */
export function startNodeProcess(
	script: string,
	env: Record<string, string> = {},
	args: readonly string[] = [],
): NodeProcess {
	const child = spawn(process.execPath, [script, ...args], {
		env: { ...process.env, ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	})
	let out = ''
	let lines: string[] = []
	let partial = ''
	const watchers = new Set<() => void>()
	child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
		out += chunk
		const parts = (partial + chunk).split('\n')
		partial = parts.pop() ?? ''
		lines = lines.concat(parts)
		for (const watcher of watchers) watcher()
	})
	child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
		out += chunk
	})
	const exit = new Promise<number | null>((resolve) => {
		child.once('exit', (code) => {
			for (const watcher of watchers) watcher()
			resolve(code)
		})
	})

	return {
		child,
		output: () => out,
		waitForLine(pattern, timeoutMs = 20_000) {
			return new Promise((resolve, reject) => {
				const timer = setTimeout(() => {
					watchers.delete(check)
					reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${out}`))
				}, timeoutMs)
				function check(): void {
					for (const line of lines) {
						const match = line.match(pattern)
						if (match !== null) {
							clearTimeout(timer)
							watchers.delete(check)
							resolve(match)
							return
						}
					}
					if (child.exitCode !== null || child.signalCode !== null) {
						clearTimeout(timer)
						watchers.delete(check)
						reject(new Error(`process exited before printing ${pattern}; output:\n${out}`))
					}
				}
				watchers.add(check)
				check()
			})
		},
		exited: () => exit,
		async stop(graceMs = 3000) {
			if (child.exitCode !== null || child.signalCode !== null) return
			child.kill('SIGTERM')
			const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
			await exit
			clearTimeout(timer)
		},
	}
}
