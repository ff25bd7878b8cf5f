import { MemoryStore } from '@keyward/core'
import { cliKeyward } from '../src/database.js'
import { type AuditLog, type CliIo, type DatabaseLocation, runCli } from '../src/index.js'

/** An in-memory database for the CLI, and what the CLI did with it. */
export function memory() {
	const store = new MemoryStore()
	const locations: DatabaseLocation[] = []
	/** `readOnly` of each opening, in order. */
	const readOnly: boolean[] = []
	const audit: AuditLog = { list: (query) => store.listAudit(query) }
	const io = (env: Record<string, string> = {}, cwd = '/srv/app'): Partial<CliIo> => ({
		env,
		cwd,
		openDatabase: async (location, options) => {
			locations.push(location)
			readOnly.push(options.readOnly)
			const keyward = cliKeyward(store, location)
			return { keyward, audit, close: async () => {} }
		},
	})
	return { store, locations, readOnly, io }
}

/** Run the CLI in this process; resolves to its exit status and what it printed. */
export async function run(argv: string[], io: Partial<CliIo> = {}) {
	let stdout = ''
	let stderr = ''
	const code = await runCli(argv, {
		...io,
		stdout: (text) => (stdout += text),
		stderr: (text) => (stderr += text),
	})
	return { code, stdout, stderr }
}
