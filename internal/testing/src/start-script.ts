import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A workspace package's `start` script, run as its README says: `pnpm --filter <name> start`. */
export interface StartedScript {
	/** Resolves with the first output line matching `pattern`; rejects when the script exits first. */
	waitForLine(pattern: RegExp): Promise<RegExpMatchArray>
	/** Everything printed so far, for failure messages. */
	output(): string
	/** End the script and everything it started (pnpm, the shell, tsc, node). */
	stop(): Promise<void>
}

/** pnpm as the tests were started by (`pnpm test`), else the pinned one through npx. */
function pnpmCommand(): [string, string[]] {
	const execPath = process.env.npm_execpath
	if (execPath?.includes('pnpm')) return [process.execPath, [execPath]]
	return ['npx', ['-y', 'pnpm@10.34.9']]
}

/**
 * Run `pnpm --filter <name> start` with `env` added, in a process group of its own so that
 * {@link StartedScript.stop} ends the whole tree. For tests of the examples' start scripts.
 * @example
 * const started = startScript('@keyward/example-koa', { PORT: '0' })
 * const [url] = await started.waitForLine(/http:\/\/127\.0\.0\.1:\d+/)
 */
export function startScript(name: string, env: Record<string, string> = {}): StartedScript {
	const [command, prefix] = pnpmCommand()
	const child: ChildProcess = spawn(command, [...prefix, '--filter', name, 'start'], {
		env: { ...process.env, ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
		detached: true,
	})
	let out = ''
	const waiters = new Set<() => void>()
	for (const stream of [child.stdout, child.stderr]) {
		stream?.setEncoding('utf8').on('data', (chunk: string) => {
			out += chunk
			for (const waiter of waiters) waiter()
		})
	}
	const exited = new Promise<void>((resolve) => {
		child.once('exit', () => {
			for (const waiter of waiters) waiter()
			resolve()
		})
	})
	return {
		output: () => out,
		waitForLine(pattern) {
			return new Promise((resolve, reject) => {
				function check(): void {
					const match = out.match(pattern)
					if (match !== null) {
						waiters.delete(check)
						resolve(match)
					} else if (child.exitCode !== null || child.signalCode !== null) {
						waiters.delete(check)
						reject(new Error(`${name} start ended before printing ${pattern}:\n${out}`))
					}
				}
				waiters.add(check)
				check()
			})
		},
		async stop() {
			const signal = (name: NodeJS.Signals) => {
				if (child.pid === undefined) return
				try {
					process.kill(-child.pid, name)
				} catch {
					// The group is gone already.
				}
			}
			signal('SIGTERM')
			// A script that ignores SIGTERM is ended anyway; this bounds the wait, it is not a check.
			const kill = setTimeout(() => signal('SIGKILL'), 10_000)
			await exited
			clearTimeout(kill)
		},
	}
}

/**
 * {@link startScript} for an example that keeps its keys where `keywardFromEnv` says: here in an
 * embedded database in a fresh directory (no PostgreSQL or Redis from the environment), removed
 * by `stop()`.
 */
export function startExample(name: string, env: Record<string, string> = {}): StartedScript {
	const dir = mkdtempSync(join(tmpdir(), 'keyward-start-'))
	const started = startScript(name, {
		KEYWARD_DATA_DIR: join(dir, 'db'),
		KEYWARD_PG_URL: '',
		KEYWARD_REDIS_URL: '',
		...env,
	})
	return {
		...started,
		async stop() {
			await started.stop()
			rmSync(dir, { recursive: true, force: true })
		},
	}
}
