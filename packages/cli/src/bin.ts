#!/usr/bin/env node
import { runCli } from './cli.js'

/**
 * Exit status when the reader of stdout went away before the output was written (`keyward list |
 * head -1`): what a shell reports for a process that SIGPIPE ended, as for other commands in a
 * pipeline. Node ignores SIGPIPE, so writes fail with EPIPE instead, and would crash the process
 * with a stack trace if nothing listened.
 */
const BROKEN_PIPE_STATUS = 141

// The embedded database holds key hashes and the audit trail: files it creates are the user's alone.
process.umask(0o077)

const closed = { stdout: false, stderr: false }
for (const name of ['stdout', 'stderr'] as const) {
	process[name].on('error', (error: NodeJS.ErrnoException) => {
		if (error.code !== 'EPIPE') throw error
		// Stop writing there; the command still finishes (and closes the database) as usual.
		closed[name] = true
	})
}

const status = await runCli(process.argv.slice(2), {
	stdout: (text) => {
		if (!closed.stdout) process.stdout.write(text)
	},
	stderr: (text) => {
		if (!closed.stderr) process.stderr.write(text)
	},
})
process.exitCode = status
// A failed write is reported after it was made, possibly after runCli has finished.
process.once('exit', () => {
	if (process.exitCode === 0 && closed.stdout) process.exitCode = BROKEN_PIPE_STATUS
})
