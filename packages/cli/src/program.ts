import { createRequire } from 'node:module'
import type { Keyward } from '@keyward/core'
import type { LegacyFormatOption } from '@keyward/core/management'
import { Command, Option } from 'commander'
import * as commands from './commands.js'
import type { AuditLog } from './database.js'
import { type ImportOptions, importCommand } from './import-command.js'
import { collectLegacyFormat } from './legacy-formats.js'
import * as owners from './owner-commands.js'
import * as parse from './parse.js'
import { scanCommand } from './scan-command.js'
import type { ScanSource } from './scan-files.js'

/** Where the program writes. */
export interface ProgramOutput {
	stdout(text: string): void
	stderr(text: string): void
}

/** Options every command accepts. */
export interface GlobalOptions {
	databaseUrl?: string
	dataDir?: string
	schema?: string
	tablePrefix?: string
	keyPrefix?: string
	environment?: string
	/** `--legacy-format`, repeated: key formats of other systems the application accepts. */
	legacyFormat?: LegacyFormatOption[]
	actor?: string
	json?: boolean
}

/** What `keyward scan` reads from, besides its output. */
export interface Workspace extends ScanSource {
	/** Key prefix of the database's keys (`--key-prefix`, `KEYWARD_KEY_PREFIX`). */
	readonly keyPrefix: string | undefined
}

/** What a command needs: the keyward, the audit log, or files. */
export interface Task {
	/** Reads only: the database must exist already, and nothing is created or migrated. */
	readOnly?: boolean
	keyward?: (keyward: Keyward, out: commands.Output) => Promise<void>
	audit?: (audit: AuditLog, out: commands.Output) => Promise<void>
	/**
	 * Reads files, without opening the database unless `database` is set (then with its keyward);
	 * resolves to the exit status.
	 */
	files?: (workspace: Workspace, out: commands.Output, keyward: Keyward | undefined) => Promise<number>
	database?: boolean
}

/**
 * `--owner` of `create` and `revoke-all`. Checked in a hook rather than with `requiredOption`,
 * which commander checks before unknown flags: `create --ownr x` would then say that `--owner` is
 * missing, not that `--ownr` is unknown with its "did you mean".
 */
function requireOwner(cmd: Command): void {
	if (cmd.opts<{ owner?: string }>().owner === undefined) {
		cmd.error("error: required option '--owner <owner>' not specified", {
			code: 'commander.missingMandatoryOptionValue',
		})
	}
}

const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version

/** Build the `keyward` program; actions report their failures by throwing. */
export function program(io: ProgramOutput, run: (g: GlobalOptions, task: Task) => Promise<void>): Command {
	const root = new Command('keyward')
		.description(
			'Create, list, revoke, rotate and delete API keys in a keyward database; find leaked keys in files.',
		)
		.version(VERSION, '-V, --version')
		.configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: () => {} })
		.exitOverride()
		.showSuggestionAfterError(true)
		.configureHelp({ showGlobalOptions: true })
		.option('--database-url <url>', 'PostgreSQL server (env KEYWARD_DATABASE_URL)', parse.settingArg('url'))
		.option('--data-dir <path>', 'embedded database directory (env KEYWARD_DATA_DIR; default ./.keyward/db)')
		.option(
			'--schema <name>',
			'schema of the keyward tables (env KEYWARD_DATABASE_SCHEMA)',
			parse.settingArg('schema'),
		)
		.option(
			'--table-prefix <prefix>',
			'prefix of the table names (env KEYWARD_TABLE_PREFIX; default keyward_)',
			parse.settingArg('tablePrefix'),
		)
		.option(
			'--key-prefix <prefix>',
			"prefix of new keys, as the application's (env KEYWARD_KEY_PREFIX; default kw)",
		)
		.option('--environment <name>', 'environment marker of new keys (env KEYWARD_ENVIRONMENT)')
		.option(
			'--legacy-format <format>',
			"a key format of another system, as the application's legacyFormats: hex or name=regex (repeatable; env KEYWARD_LEGACY_FORMATS)",
			collectLegacyFormat,
		)
		.option('--actor <name>', 'who to name in the audit trail (env KEYWARD_ACTOR; default your login)')
		.addHelpText(
			'after',
			'\nKEYWARD_PEPPER must hold the pepper when the application hashes keys with one.\nExit status: 0 done, 1 failed (the message says why), 2 bad command line,\n141 output closed early (as by SIGPIPE). Commands that only read create nothing.',
		)
	const json = () => new Option('--json', 'print JSON for scripts')
	const action =
		(task: (cmd: Command, args: string[]) => Task) =>
		(...received: unknown[]) => {
			const cmd = received[received.length - 1] as Command
			return run(cmd.optsWithGlobals<GlobalOptions>(), task(cmd, received.slice(0, -2) as string[]))
		}

	root
		.command('create')
		.description('create a key and print it (the only time it is shown)')
		.option('--owner <owner>', 'who the key belongs to (required)', parse.textArg)
		.hook('preAction', requireOwner)
		.option('--name <name>', 'label, e.g. "CI deploy"')
		.option('--note <text>', 'free text')
		.option('--scope <scope>', 'granted scope (repeat for more)', parse.collectScope)
		.option('--expires-in <duration>', 'lifetime, e.g. 600s, 12h, 30d', parse.durationArg(true))
		.option('--quota <n>', 'requests per month (default: unlimited)', parse.countArg)
		.option('--metadata <json>', 'JSON object kept with the key', parse.metadataArg)
		.addOption(json())
		.action(
			action((cmd) => ({
				keyward: (k, out) => commands.createCommand(k, cmd.opts<commands.CreateOptions>(), out),
			})),
		)
	root
		.command('list')
		.description('list keys (active ones unless --all)')
		.option('--owner <owner>', 'only keys of this owner', parse.textArg)
		.option('--all', 'include revoked and expired keys')
		.addOption(json())
		.action(
			action((cmd) => ({
				readOnly: true,
				keyward: (k, out) => commands.listCommand(k, cmd.opts<{ owner?: string; all?: boolean }>(), out),
			})),
		)
	root
		.command('show')
		.description('show one key')
		.argument('<id>', 'id, id prefix (4+ characters), hint or the key itself')
		.addOption(json())
		.action(
			action((_, [id]) => ({
				readOnly: true,
				keyward: (k, out) => commands.showCommand(k, id as string, out),
			})),
		)
	root
		.command('revoke')
		.description('revoke a key: it stays listed and can no longer authenticate')
		.argument('<id>', 'id, id prefix (4+ characters), hint or the key itself')
		.addOption(json())
		.action(action((_, [id]) => ({ keyward: (k, out) => commands.revokeCommand(k, id as string, out) })))
	root
		.command('import')
		.description('import keys of other systems from JSON lines, without reissuing them')
		.argument(
			'<file>',
			'JSON lines: {"key": ...} or {"sha256": ..., "hint": ...} with owner, name, scopes...; - for standard input',
		)
		.option('--owner <owner>', 'owner of lines that name none', parse.textArg)
		.option('--dry-run', 'check every line, store nothing')
		.option('--skip-existing', 'report keys already stored as skipped, not refused')
		.addOption(json())
		.addHelpText(
			'after',
			'\nKeys of another format need --legacy-format (as the application is configured). Each line is\nreported, never with its key; exit status 1 when any line was refused.',
		)
		.action(
			action((cmd, [file]) => ({
				database: true,
				files: async (workspace, out, k) => {
					await importCommand(k as Keyward, file as string, cmd.opts<ImportOptions>(), workspace, out)
					return 0
				},
			})),
		)
	root
		.command('revoke-all')
		.description('revoke every active key of an owner')
		.option('--owner <owner>', 'whose keys (required)', parse.textArg)
		.hook('preAction', requireOwner)
		.addOption(json())
		.action(
			action((cmd) => ({
				keyward: (k, out) => commands.revokeAllCommand(k, cmd.opts<{ owner: string }>().owner, out),
			})),
		)
	root
		.command('delete')
		.description('delete a key: it disappears from listings and can no longer authenticate')
		.argument('<id>', 'id, id prefix (4+ characters), hint or the key itself')
		.addOption(json())
		.action(action((_, [id]) => ({ keyward: (k, out) => commands.deleteCommand(k, id as string, out) })))
	root
		.command('rotate')
		.description('replace a key with a new one (same owner, scopes, quota); prints the new key')
		.argument('<id>', 'id, id prefix (4+ characters), hint or the key itself')
		.option('--grace <duration>', 'how long the old key keeps working, e.g. 24h', parse.durationArg(false), 0)
		.addOption(json())
		.action(
			action((cmd, [id]) => ({
				keyward: (k, out) =>
					commands.rotateCommand(k, id as string, cmd.opts<{ grace: number }>().grace, out),
			})),
		)
	root
		.command('usage')
		.description("show a key's usage this month against its quota, and a chart of the last days")
		.argument('<id>', 'id, id prefix (4+ characters), hint or the key itself')
		.option('--days <n>', 'also draw requests per day (UTC) over the last n days (1-366)', parse.daysArg)
		.addOption(json())
		.action(
			action((cmd, [id]) => ({
				readOnly: true,
				keyward: (k, out) => commands.usageCommand(k, id as string, out, cmd.opts<{ days?: number }>().days),
			})),
		)
	const owner = root
		.command('owner')
		.description("account records: the scopes, quota and switch shared by an owner's keys")
	owner
		.command('set')
		.description('create or change an owner record')
		.argument('<owner>', 'the owner id, as its keys name it', parse.textArg)
		.option(
			'--scope <scope>',
			'what the account may do (repeat for more); its keys never exceed it',
			parse.collectScope,
		)
		.option('--any-scope', "do not restrict the scopes of the account's keys")
		.option('--quota <n>', "requests per month shared by all the account's keys", parse.countArg)
		.option('--unlimited', 'no shared monthly quota')
		.option('--disable', 'refuse every key of the account (403)')
		.option('--enable', "accept the account's keys again")
		.option('--metadata <json>', 'JSON object kept with the record', parse.metadataArg)
		.addOption(json())
		.action(
			action((cmd, [id]) => ({
				keyward: (k, out) => owners.ownerSetCommand(k, id as string, cmd.opts<owners.OwnerSetOptions>(), out),
			})),
		)
	owner
		.command('show')
		.description("show an owner record and this month's use of its quota")
		.argument('<owner>', 'the owner id', parse.textArg)
		.addOption(json())
		.action(
			action((_, [id]) => ({
				readOnly: true,
				keyward: (k, out) => owners.ownerShowCommand(k, id as string, out),
			})),
		)
	owner
		.command('usage')
		.description("draw an account's requests per day, all its keys together")
		.argument('<owner>', 'the owner id', parse.textArg)
		.option('--days <n>', 'how many days, up to today (UTC; 1-366)', parse.daysArg, 30)
		.addOption(json())
		.action(
			action((cmd, [id]) => ({
				keyward: (k, out) =>
					owners.ownerUsageCommand(k, id as string, cmd.opts<{ days: number }>().days, out),
			})),
		)
	owner
		.command('list')
		.description('list owner records')
		.addOption(json())
		.action(action(() => ({ readOnly: true, keyward: (k, out) => owners.ownerListCommand(k, out) })))
	root
		.command('audit')
		.description('show the audit trail, newest first')
		.option('--owner <owner>', 'only entries about keys of this owner', parse.textArg)
		.option('--key <id>', 'only entries about this key id', parse.textArg)
		.option('--limit <n>', 'most entries shown (1-1000)', parse.limitArg, 50)
		.addOption(json())
		.action(
			action((cmd) => ({
				readOnly: true,
				audit: (log, out) =>
					commands.auditCommand(log, cmd.opts<{ owner?: string; key?: string; limit: number }>(), out),
			})),
		)
	root
		.command('scan')
		.description('find keyward keys in files, directories or standard input; exit 1 when one is found')
		.argument('[paths...]', 'files and directories to scan (default: .), - for standard input')
		.option(
			'--prefix <prefix>',
			'key prefix to look for (repeat for more; default: --key-prefix, else kw)',
			parse.collectPrefix,
		)
		.option('--check', 'look each key up in the database: live, revoked, expired or unknown')
		.addOption(json())
		.addHelpText(
			'after',
			'\nSkips .git, node_modules, binary files and symbolic links. Prints file:line:column and a\nredacted key, never the key itself.\nExit status: 0 no key found, 1 keys found, 2 bad command line or a path that could not be read.',
		)
		.action(
			action((cmd, [paths]) => {
				const { prefix, check } = cmd.opts<{ prefix?: string[]; check?: boolean }>()
				return {
					database: check === true,
					readOnly: true,
					files: (workspace, out, keyward) =>
						scanCommand(
							(paths ?? []) as unknown as string[],
							prefix ?? [workspace.keyPrefix ?? 'kw'],
							workspace,
							out,
							keyward,
						),
				}
			}),
		)
	return root
}
