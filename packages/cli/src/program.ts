import { createRequire } from 'node:module'
import type { Keyward } from '@keyward/core'
import { Command, Option } from 'commander'
import * as commands from './commands.js'
import type { AuditLog } from './database.js'
import * as owners from './owner-commands.js'
import * as parse from './parse.js'

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
	actor?: string
	json?: boolean
}

/** What a command needs: the keyward, or the audit log. */
export interface Task {
	keyward?: (keyward: Keyward, out: commands.Output) => Promise<void>
	audit?: (audit: AuditLog, out: commands.Output) => Promise<void>
}

const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version

/** Build the `keyward` program; actions report their failures by throwing. */
export function program(io: ProgramOutput, run: (g: GlobalOptions, task: Task) => Promise<void>): Command {
	const root = new Command('keyward')
		.description('Create, list, revoke, rotate and delete API keys in a keyward database.')
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
		.option('--actor <name>', 'who to name in the audit trail (env KEYWARD_ACTOR; default your login)')
		.addHelpText(
			'after',
			'\nKEYWARD_PEPPER must hold the pepper when the application hashes keys with one.\nExit status: 0 done, 1 failed (the message says why), 2 bad command line.',
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
		.requiredOption('--owner <owner>', 'who the key belongs to', parse.textArg)
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
				keyward: (k, out) => commands.listCommand(k, cmd.opts<{ owner?: string; all?: boolean }>(), out),
			})),
		)
	root
		.command('show')
		.description('show one key')
		.argument('<id>', 'id, id prefix (4+ characters) or the key itself')
		.addOption(json())
		.action(action((_, [id]) => ({ keyward: (k, out) => commands.showCommand(k, id as string, out) })))
	root
		.command('revoke')
		.description('revoke a key: it stays listed and can no longer authenticate')
		.argument('<id>', 'id, id prefix (4+ characters) or the key itself')
		.addOption(json())
		.action(action((_, [id]) => ({ keyward: (k, out) => commands.revokeCommand(k, id as string, out) })))
	root
		.command('revoke-all')
		.description('revoke every active key of an owner')
		.requiredOption('--owner <owner>', 'whose keys', parse.textArg)
		.addOption(json())
		.action(
			action((cmd) => ({
				keyward: (k, out) => commands.revokeAllCommand(k, cmd.opts<{ owner: string }>().owner, out),
			})),
		)
	root
		.command('delete')
		.description('delete a key: it disappears from listings and can no longer authenticate')
		.argument('<id>', 'id, id prefix (4+ characters) or the key itself')
		.addOption(json())
		.action(action((_, [id]) => ({ keyward: (k, out) => commands.deleteCommand(k, id as string, out) })))
	root
		.command('rotate')
		.description('replace a key with a new one (same owner, scopes, quota); prints the new key')
		.argument('<id>', 'id, id prefix (4+ characters) or the key itself')
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
		.argument('<id>', 'id, id prefix (4+ characters) or the key itself')
		.option('--days <n>', 'also draw requests per day (UTC) over the last n days (1-366)', parse.daysArg)
		.addOption(json())
		.action(
			action((cmd, [id]) => ({
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
		.action(action((_, [id]) => ({ keyward: (k, out) => owners.ownerShowCommand(k, id as string, out) })))
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
		.action(action(() => ({ keyward: (k, out) => owners.ownerListCommand(k, out) })))
	root
		.command('audit')
		.description('show the audit trail, newest first')
		.option('--owner <owner>', 'only entries about keys of this owner', parse.textArg)
		.option('--key <id>', 'only entries about this key id', parse.textArg)
		.option('--limit <n>', 'most entries shown (1-1000)', parse.limitArg, 50)
		.addOption(json())
		.action(
			action((cmd) => ({
				audit: (log, out) =>
					commands.auditCommand(log, cmd.opts<{ owner?: string; key?: string; limit: number }>(), out),
			})),
		)
	return root
}
