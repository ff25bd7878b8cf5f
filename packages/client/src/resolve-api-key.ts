import { resolve } from 'node:path'
import type { SystemOptions } from './config-dir.js'
import { CredentialsFile, checkProfileName } from './credentials-file.js'
import { readEnvFile } from './env-file.js'
import { KeywardClientError } from './errors.js'
import type { FileLockOptions } from './file-lock.js'
import { checkOptionNames } from './option-names.js'
import { type PromptInput, type PromptOutput, promptHidden } from './prompt.js'
import { normalizeApiKey } from './validate-key.js'

/** Where {@link resolveApiKey} found the key. */
export type ApiKeySource = 'argument' | 'environment' | 'env_file' | 'credentials_file' | 'prompt'

/** A key and where it came from. Print `from`, never `apiKey`. */
export interface ResolvedApiKey {
	/** The key, trimmed and checked. */
	apiKey: string
	source: ApiKeySource
	/** Where the key came from, for people: `environment variable EXAMPLE_API_KEY`, a profile and path... */
	from: string
}

/** Where {@link resolveApiKey} looks, in order. Only `apiKey` or one of the other sources is needed. */
export interface ResolveApiKeyOptions extends SystemOptions {
	/** 1. A key given explicitly (a command-line flag, a constructor argument). Wins when defined. */
	apiKey?: string | undefined
	/** 2. Environment variable holding the key, named by the API's author, e.g. `EXAMPLE_API_KEY`. */
	envVar?: string | undefined
	/**
	 * Also read `envVar` from a `.env` file: `true` for `.env` in `cwd` (skipped when absent),
	 * or a path (which must exist). The process environment wins over the file.
	 * @defaultValue false
	 */
	envFile?: boolean | string | undefined
	/** Directory relative `envFile` paths start from. @defaultValue process.cwd() */
	cwd?: string | undefined
	/** 3. Profile of the credentials file. @defaultValue 'default' */
	profile?: string | undefined
	/** Names the credentials directory: `<userConfigDir>/<appName>/credentials`. */
	appName?: string | undefined
	/**
	 * The credentials file: a path, a {@link CredentialsFile}, or `false` to skip it.
	 * @defaultValue the file of `appName`; none without `appName`
	 */
	credentialsFile?: string | CredentialsFile | false | undefined
	/**
	 * 4. Ask on the terminal when nothing else gave a key (only when `input` is a TTY), then save
	 * the key in the profile (file mode 0600).
	 * @defaultValue false
	 */
	interactive?: boolean | undefined
	/** Store a key typed at the prompt in the credentials file. @defaultValue true */
	save?: boolean | undefined
	/** Prompt input. @defaultValue process.stdin */
	input?: PromptInput | undefined
	/** Prompt output and notices. @defaultValue process.stderr */
	output?: PromptOutput | undefined
	/** The prompt's question. @defaultValue `'<appName> API key: '` */
	promptMessage?: string | undefined
	/** Receives warnings (credentials readable by others, a profile shadowed by the environment). @defaultValue process.emitWarning */
	warn?: ((message: string) => void) | undefined
	/** Lock file settings for saving the prompted key. */
	lock?: FileLockOptions | undefined
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

function credentialsFileOf(options: Readonly<ResolveApiKeyOptions>): CredentialsFile | null {
	const { credentialsFile, appName } = options
	if (credentialsFile instanceof CredentialsFile) return credentialsFile
	if (credentialsFile === false) return null
	const shared = { warn: options.warn, lock: options.lock, platform: options.platform }
	if (typeof credentialsFile === 'string') return new CredentialsFile({ ...shared, path: credentialsFile })
	if (credentialsFile !== undefined) {
		throw new KeywardClientError(
			'invalid_option',
			'credentialsFile must be a path, a CredentialsFile or false',
		)
	}
	if (appName === undefined) return null
	return new CredentialsFile({ ...shared, appName, env: options.env, homedir: options.homedir })
}

async function fromEnvironment(options: Readonly<ResolveApiKeyOptions>): Promise<ResolvedApiKey | null> {
	const { envVar, envFile = false } = options
	if (envVar === undefined) {
		if (envFile !== false) throw new KeywardClientError('invalid_option', 'envFile needs envVar')
		return null
	}
	if (typeof envVar !== 'string' || !ENV_NAME.test(envVar)) {
		throw new KeywardClientError('invalid_option', 'envVar must be a variable name such as EXAMPLE_API_KEY')
	}
	const value = (options.env ?? process.env)[envVar]
	if (value !== undefined && value.trim() !== '') {
		const from = `environment variable ${envVar}`
		return { apiKey: normalizeApiKey(value, from), source: 'environment', from }
	}
	if (envFile === false) return null
	const path = resolve(options.cwd ?? process.cwd(), envFile === true ? '.env' : envFile)
	const fileValue = (await readEnvFile(path, envFile !== true))[envVar]
	if (fileValue === undefined || fileValue.trim() === '') return null
	const from = `${envVar} in ${path}`
	return { apiKey: normalizeApiKey(fileValue, from), source: 'env_file', from }
}

/**
 * Finds the caller's API key without it ever being written in source code. The order:
 *
 * 1. `apiKey`, when defined (e.g. a `--api-key` flag);
 * 2. the environment variable `envVar` (and, with `envFile`, the same name in a `.env` file);
 * 3. `profile` (default `default`) of the credentials file
 *    (`<userConfigDir>/<appName>/credentials`, or `credentialsFile`);
 * 4. with `interactive` on a terminal, a hidden prompt; the key typed is saved in the profile.
 *
 * The first source that has a key wins; it is trimmed and must be one word of visible ASCII, or
 * `KeywardClientError('invalid_api_key')` is thrown naming the source (never the key). When none
 * has a key, `KeywardClientError('api_key_not_found')` says where to put one.
 *
 * @example
 * const { apiKey, from } = await resolveApiKey({
 *   apiKey: flags.apiKey, envVar: 'EXAMPLE_API_KEY', appName: 'example', profile: flags.profile,
 *   interactive: true,
 * })
 * console.error(`Using the API key from ${from}`)
 */
export async function resolveApiKey(options: Readonly<ResolveApiKeyOptions> = {}): Promise<ResolvedApiKey> {
	checkOptionNames(options, 'resolveApiKey')
	const warn =
		options.warn ?? ((message: string) => process.emitWarning(message, { code: 'KEYWARD_PROFILE_SHADOWED' }))
	const profile = checkProfileName(options.profile ?? 'default')
	const file = credentialsFileOf(options)

	if (options.apiKey !== undefined) {
		return {
			apiKey: normalizeApiKey(options.apiKey, 'the argument'),
			source: 'argument',
			from: 'the argument',
		}
	}

	const fromEnv = await fromEnvironment(options)
	if (fromEnv !== null) {
		if (options.profile !== undefined && options.profile !== 'default') {
			warn(
				`Using the API key from ${fromEnv.from}; profile "${profile}" was not read. Unset it to use the profile.`,
			)
		}
		return fromEnv
	}

	if (file !== null) {
		const stored = await file.get(profile)
		if (stored !== undefined) {
			const from = `profile "${profile}" in ${file.path}`
			return { apiKey: normalizeApiKey(stored, from), source: 'credentials_file', from }
		}
	}

	const input = options.interactive === true ? (options.input ?? process.stdin) : undefined
	if (input?.isTTY === true) {
		const output = options.output ?? process.stderr
		const message =
			options.promptMessage ?? `${options.appName === undefined ? '' : `${options.appName} `}API key: `
		const apiKey = normalizeApiKey(await promptHidden({ input, output, message }), 'the prompt')
		if (file !== null && options.save !== false) {
			await file.set(profile, apiKey)
			output.write(`Saved the API key in profile "${profile}" of ${file.path}\n`)
		}
		return { apiKey, source: 'prompt', from: 'the prompt' }
	}

	throw new KeywardClientError('api_key_not_found', notFoundMessage(options, profile, file))
}

function notFoundMessage(
	options: Readonly<ResolveApiKeyOptions>,
	profile: string,
	file: CredentialsFile | null,
): string {
	const ways = ['pass it as an argument']
	if (options.envVar !== undefined) ways.push(`set the environment variable ${options.envVar}`)
	if (file !== null) ways.push(`save it in profile "${profile}" of ${file.path}`)
	const last = ways.length > 1 ? ` or ${ways.pop()}` : ''
	const hint = options.interactive === true ? ' (there is no terminal to ask on)' : ''
	return `No API key found${hint}: ${ways.join(', ')}${last}.`
}
