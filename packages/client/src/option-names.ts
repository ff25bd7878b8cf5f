import { unknownOptionMessage } from '@keyward/core/wire'
import type { ClientOptions } from './client.js'
import type { SystemOptions } from './config-dir.js'
import type { CredentialsFileOptions } from './credentials-file.js'
import { KeywardClientError } from './errors.js'
import type { FileLockOptions } from './file-lock.js'
import type { PromptHiddenOptions } from './prompt.js'
import type { ResolveApiKeyOptions } from './resolve-api-key.js'
import type { RetryOptions } from './retry.js'

// Written as records so that the compiler notices an option added to an interface but not here.
const SYSTEM: Record<keyof SystemOptions, true> = { env: true, homedir: true, platform: true }
const RESOLVE: Record<keyof ResolveApiKeyOptions, true> = {
	...SYSTEM,
	apiKey: true,
	envVar: true,
	envFile: true,
	cwd: true,
	profile: true,
	appName: true,
	credentialsFile: true,
	interactive: true,
	save: true,
	input: true,
	output: true,
	promptMessage: true,
	warn: true,
	lock: true,
}
const CLIENT: Record<keyof ClientOptions, true> = {
	...RESOLVE,
	baseUrl: true,
	header: true,
	scheme: true,
	headers: true,
	retry: true,
	maxRedirects: true,
	fetch: true,
	sleep: true,
	now: true,
	random: true,
}
const CREDENTIALS_FILE: Record<keyof CredentialsFileOptions, true> = {
	...SYSTEM,
	path: true,
	appName: true,
	warn: true,
	lock: true,
}
const LOCK: Record<keyof FileLockOptions, true> = {
	timeoutMs: true,
	staleMs: true,
	retryDelayMs: true,
	now: true,
	sleep: true,
}
const RETRY: Record<keyof RetryOptions, true> = { retries: true, minDelayMs: true, maxDelayMs: true }
const PROMPT: Record<keyof PromptHiddenOptions, true> = { input: true, output: true, message: true }

/** The option names each options object of the client takes, by the name its errors use. */
export const OPTION_NAMES = {
	createClient: Object.keys(CLIENT),
	resolveApiKey: Object.keys(RESOLVE),
	CredentialsFile: Object.keys(CREDENTIALS_FILE),
	lock: Object.keys(LOCK),
	retry: Object.keys(RETRY),
	promptHidden: Object.keys(PROMPT),
	system: Object.keys(SYSTEM),
} as const

/**
 * Refuse an options object that is not an object, or that has a name `owner` does not take, with
 * `KeywardClientError('invalid_option')` and a "did you mean" hint: from JavaScript, a misspelt
 * option would otherwise be ignored.
 */
export function checkOptionNames(options: unknown, owner: keyof typeof OPTION_NAMES): void {
	if (options === undefined) return
	if (typeof options !== 'object' || options === null || Array.isArray(options)) {
		throw new KeywardClientError('invalid_option', `${owner} options must be an object`)
	}
	const message = unknownOptionMessage(options, OPTION_NAMES[owner], `${owner} options`)
	if (message !== undefined) throw new KeywardClientError('invalid_option', message)
}

/** The options of `owner` found in `options`, e.g. those `createClient` hands to `resolveApiKey`. */
export function pickOptions<T extends object>(options: T, owner: keyof typeof OPTION_NAMES): Partial<T> {
	const names: readonly string[] = OPTION_NAMES[owner]
	return Object.fromEntries(Object.entries(options).filter(([name]) => names.includes(name))) as Partial<T>
}
