import { hostname, userInfo } from 'node:os'
import { resolve } from 'node:path'
import { createKeyward, isKeywardError, redactText } from '@keyward/core'
import { type LegacyFormatOption, withAuditContext } from '@keyward/core/management'
import { CommanderError } from 'commander'
import type { Output } from './commands.js'
import { type DatabaseLocation, type OpenDatabaseFn, openDatabase } from './database.js'
import { UsageError, UserError } from './errors.js'
import { legacyFormatsFromEnv } from './legacy-formats.js'
import * as parse from './parse.js'
import { type GlobalOptions, program, type Task } from './program.js'

/** Where the CLI reads and writes; every field defaults to the real process. */
export interface CliIo {
	/** Receives results: tables, JSON, the new key. @defaultValue process.stdout */
	stdout(text: string): void
	/** Receives error messages and warnings. @defaultValue process.stderr */
	stderr(text: string): void
	/** Environment variables (`KEYWARD_DATABASE_URL`, `KEYWARD_DATA_DIR`, ...). */
	env: Readonly<Record<string, string | undefined>>
	/** Directory relative paths are resolved against. */
	cwd: string
	/** Clock for relative times in listings, in epoch milliseconds. */
	now(): number
	/** Opens the database; tests may substitute one. */
	openDatabase: OpenDatabaseFn
	/** What `keyward scan -` reads. @defaultValue process.stdin */
	stdin: AsyncIterable<Buffer | string>
}

function envSetting(io: CliIo, variable: string, name: keyof typeof parse.SETTINGS): string | undefined {
	const value = io.env[variable]
	if (value === undefined || value === '') return undefined
	if (!parse.SETTINGS[name].test(value)) {
		throw new UsageError(`${variable} is invalid: expected ${parse.SETTINGS[name].expected}`)
	}
	return value
}

function envLegacyFormats(io: CliIo): LegacyFormatOption[] | undefined {
	const value = io.env.KEYWARD_LEGACY_FORMATS
	if (value === undefined || value.trim() === '') return undefined
	try {
		return legacyFormatsFromEnv(value)
	} catch (error) {
		throw new UsageError(`KEYWARD_LEGACY_FORMATS is invalid: ${(error as Error).message}`)
	}
}

/** Database and key settings: flags first, then the environment, then the defaults. */
function locate(io: CliIo, g: GlobalOptions): DatabaseLocation {
	const raw = g.dataDir ?? (io.env.KEYWARD_DATA_DIR || '.keyward/db')
	const location: DatabaseLocation = {
		url: g.databaseUrl ?? envSetting(io, 'KEYWARD_DATABASE_URL', 'url'),
		dataDir: raw.startsWith('memory://') ? raw : resolve(io.cwd, raw),
		schema: g.schema ?? envSetting(io, 'KEYWARD_DATABASE_SCHEMA', 'schema'),
		tablePrefix: g.tablePrefix ?? envSetting(io, 'KEYWARD_TABLE_PREFIX', 'tablePrefix'),
		keyPrefix: g.keyPrefix ?? (io.env.KEYWARD_KEY_PREFIX || undefined),
		environment: g.environment ?? (io.env.KEYWARD_ENVIRONMENT || undefined),
		pepper: io.env.KEYWARD_PEPPER || undefined,
		legacyFormats: g.legacyFormat ?? envLegacyFormats(io),
	}
	try {
		// The keys' settings are checked now, so that a typo fails before the database is opened.
		createKeyward({
			prefix: location.keyPrefix,
			environment: location.environment,
			pepper: location.pepper,
			legacyFormats: location.legacyFormats,
		})
	} catch (error) {
		throw new UsageError(`invalid key settings: ${(error as Error).message}`)
	}
	return location
}

function whoAmI(io: CliIo, g: GlobalOptions): string {
	if (g.actor !== undefined) return g.actor
	if (io.env.KEYWARD_ACTOR) return io.env.KEYWARD_ACTOR
	try {
		return userInfo().username
	} catch {
		return 'unknown'
	}
}

const USAGE_HINT = "Run 'keyward --help' or 'keyward <command> --help' for usage.\n"

function usageMessage(error: CommanderError): string {
	return error.message
		.replace(/^error: /, '')
		.replace(/^option '([^']+)' argument [\s\S]* is invalid\. /, 'invalid $1: ')
		.replace(/\n+/g, ' ')
		.trim()
}

function failureMessage(error: unknown): string {
	if (error instanceof UserError || error instanceof UsageError) return error.message
	if (isKeywardError(error, 'store_unavailable')) {
		const cause = (error.cause as Error | undefined)?.message?.split('\n')[0]
		return `the database is unavailable${cause === undefined ? '' : `: ${cause}`}`
	}
	if (isKeywardError(error)) return error.message.replace(/\.$/, '')
	return `unexpected error: ${(error as Error)?.message?.split('\n')[0] ?? String(error)}`
}

/**
 * Run the `keyward` command line with `argv` (without `node` and the script) and resolve to its
 * exit status: 0 done, 1 failed (one-line message on stderr), 2 bad command line; `keyward scan`
 * answers 1 when it found a key and 2 when a path could not be read. Never calls `process.exit`.
 * @example process.exitCode = await runCli(process.argv.slice(2))
 */
export async function runCli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
	const full: CliIo = {
		stdout: (text) => process.stdout.write(text),
		stderr: (text) => process.stderr.write(text),
		env: process.env,
		cwd: process.cwd(),
		now: () => Date.now(),
		openDatabase,
		stdin: process.stdin,
		...io,
	}
	const fail = (message: string) => full.stderr(`keyward: ${redactText(message)}\n`)
	/** Exit status of a command that has one of its own (`scan`); 0 for the others. */
	let status = 0

	async function run(g: GlobalOptions, task: Task): Promise<void> {
		const location = locate(full, g)
		const out: Output = {
			line: (text) => full.stdout(`${text}\n`),
			json: (value) => full.stdout(`${JSON.stringify(value, null, 2)}\n`),
			nowMs: full.now(),
			asJson: g.json === true,
		}
		const workspace = { cwd: full.cwd, stdin: full.stdin, keyPrefix: location.keyPrefix, warn: fail }
		if (task.files !== undefined && task.database !== true) {
			status = await task.files(workspace, out, undefined)
			return
		}
		const actor = whoAmI(full, g)
		const source = `cli@${hostname()}`
		const db = await full.openDatabase(location, { readOnly: task.readOnly === true })
		try {
			// The store records each change with the actor and source of this context.
			await withAuditContext({ actor, source }, async () => {
				if (task.keyward !== undefined) await task.keyward(db.keyward, out)
				if (task.audit !== undefined) await task.audit(db.audit, out)
				if (task.files !== undefined) status = await task.files(workspace, out, db.keyward)
			})
		} finally {
			await db.close()
		}
	}

	try {
		await program(full, run).parseAsync([...argv], { from: 'user' })
		return status
	} catch (error) {
		if (error instanceof CommanderError) {
			if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0
			// Help shown for a missing command has already been printed, on stderr.
			if (error.code !== 'commander.help') {
				fail(usageMessage(error))
				full.stderr(USAGE_HINT)
			}
			return 2
		}
		fail(failureMessage(error))
		if (!(error instanceof UsageError)) return 1
		full.stderr(USAGE_HINT)
		return 2
	}
}
