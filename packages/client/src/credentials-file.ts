import { randomUUID } from 'node:crypto'
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { defaultCredentialsPath, type SystemOptions } from './config-dir.js'
import { KeywardClientError } from './errors.js'
import { type FileLockOptions, resolveFileLockOptions, withFileLock } from './file-lock.js'
import { parseIni, removeIniSection, setIniValue } from './ini.js'
import { checkOptionNames } from './option-names.js'
import { normalizeApiKey } from './validate-key.js'

/** Profile names: letters, digits, `.`, `_` and `-`, starting with a letter or digit. */
export const PROFILE_PATTERN: RegExp = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** The entry of a profile that holds its API key. */
export const API_KEY_ENTRY = 'api_key'

/** Options of {@link CredentialsFile}. Give `path`, or `appName` to use the default location. */
export interface CredentialsFileOptions extends SystemOptions {
	/** The file. @defaultValue `<userConfigDir>/<appName>/credentials` */
	path?: string | undefined
	/** Directory name under the user's configuration directory; required without `path`. */
	appName?: string | undefined
	/** Receives the warning about a file other users can read. @defaultValue process.emitWarning */
	warn?: ((message: string) => void) | undefined
	/** Waiting for and recovering the lock file that serialises writers; values that would not bound the wait throw here. */
	lock?: FileLockOptions | undefined
}

function emitWarning(message: string): void {
	process.emitWarning(message, { code: 'KEYWARD_CREDENTIALS_PERMISSIONS' })
}

function isMissing(error: unknown): boolean {
	return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT'
}

/** Throws `KeywardClientError('invalid_profile')` unless `profile` matches {@link PROFILE_PATTERN}. */
export function checkProfileName(profile: string): string {
	if (typeof profile !== 'string' || !PROFILE_PATTERN.test(profile)) {
		throw new KeywardClientError(
			'invalid_profile',
			'A profile name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit.',
		)
	}
	return profile
}

/**
 * An INI credentials file with one API key per named profile:
 *
 * ```ini
 * [default]
 * api_key = kw_...
 *
 * [staging]
 * api_key = kw_test_...
 * ```
 *
 * Writes are atomic (a temporary file renamed over the old one) and serialised across processes
 * by a lock file next to it, so concurrent writers never lose each other's profiles. The file is
 * created with mode 0600 in a directory created with mode 0700; reading a file other users can
 * access emits a warning. Comments and other entries written by hand are kept.
 *
 * @example
 * const credentials = new CredentialsFile({ appName: 'example' })
 * await credentials.set('staging', key)
 * await credentials.list() // ['default', 'staging']
 */
export class CredentialsFile {
	/** Absolute location of the file. */
	readonly path: string
	readonly #warn: (message: string) => void
	readonly #lock: FileLockOptions
	readonly #checkMode: boolean
	#warned = false

	constructor(options: Readonly<CredentialsFileOptions>) {
		checkOptionNames(options ?? null, 'CredentialsFile')
		if (options.path !== undefined) {
			if (typeof options.path !== 'string' || options.path === '') {
				throw new KeywardClientError('invalid_option', 'path must be a non-empty string')
			}
			this.path = options.path
		} else if (options.appName !== undefined) {
			this.path = defaultCredentialsPath(options.appName, options)
		} else {
			throw new KeywardClientError('invalid_option', 'CredentialsFile needs a path or an appName')
		}
		this.#warn = options.warn ?? emitWarning
		this.#lock = options.lock ?? {}
		resolveFileLockOptions(this.#lock) // refuse lock options that would not bound the wait now, not at the first write
		// Windows has no POSIX modes: the user's profile directory is private by default.
		this.#checkMode = (options.platform ?? process.platform) !== 'win32'
	}

	/** The file's text, `''` when it does not exist yet. Warns (once) when others can access it. */
	async #readText(): Promise<string> {
		let handle: Awaited<ReturnType<typeof open>>
		try {
			handle = await open(this.path, 'r')
		} catch (error) {
			if (isMissing(error)) return ''
			throw error
		}
		try {
			if (this.#checkMode && !this.#warned) {
				const mode = (await handle.stat()).mode & 0o777
				if ((mode & 0o077) !== 0) {
					this.#warned = true
					this.#warn(
						`Credentials file ${this.path} can be accessed by other users (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 '${this.path}'`,
					)
				}
			}
			return await handle.readFile('utf8')
		} finally {
			await handle.close()
		}
	}

	/** Write `text` to a private temporary file, flush it, and rename it over the file. */
	async #writeText(text: string): Promise<void> {
		const temp = `${this.path}.${randomUUID()}.tmp`
		const handle = await open(temp, 'wx', 0o600)
		try {
			try {
				if (this.#checkMode) await handle.chmod(0o600) // the umask may have taken bits away, never added
				await handle.writeFile(text, 'utf8')
				await handle.sync()
			} finally {
				await handle.close()
			}
			await rename(temp, this.path)
		} catch (error) {
			await unlink(temp).catch(() => undefined)
			throw error
		}
	}

	/** Read-modify-write under the lock. */
	async #update(edit: (text: string) => string): Promise<boolean> {
		await mkdir(dirname(this.path), { recursive: true, mode: 0o700 })
		return withFileLock(
			`${this.path}.lock`,
			async () => {
				const before = await this.#readText()
				const after = edit(before)
				if (after === before) return false
				await this.#writeText(after)
				return true
			},
			this.#lock,
		)
	}

	/**
	 * Names of the profiles that hold an API key, in file order.
	 * @example await credentials.list() // ['default', 'staging']
	 */
	async list(): Promise<string[]> {
		const names: string[] = []
		for (const [name, entries] of parseIni(await this.#readText())) {
			if (PROFILE_PATTERN.test(name) && (entries.get(API_KEY_ENTRY) ?? '') !== '') names.push(name)
		}
		return names
	}

	/**
	 * The API key stored in `profile`, or `undefined` when the file or the profile does not exist.
	 * @param profile - Profile to read; `'default'` when omitted.
	 */
	async get(profile = 'default'): Promise<string | undefined> {
		checkProfileName(profile)
		const value = parseIni(await this.#readText())
			.get(profile)
			?.get(API_KEY_ENTRY)
		return value === undefined || value === '' ? undefined : value
	}

	/**
	 * Store `apiKey` in `profile`, creating the file (0600) and its directory (0700) if needed.
	 * Throws `KeywardClientError('invalid_api_key')` for a key with whitespace or control characters.
	 */
	async set(profile: string, apiKey: string): Promise<void> {
		checkProfileName(profile)
		const key = normalizeApiKey(apiKey, 'the argument of CredentialsFile.set')
		await this.#update((text) => setIniValue(text, profile, API_KEY_ENTRY, key))
	}

	/** Delete `profile` and everything in it; `false` when it was not there. */
	async remove(profile: string): Promise<boolean> {
		checkProfileName(profile)
		if ((await stat(this.path).catch(() => null)) === null) return false
		return this.#update((text) => removeIniSection(text, profile))
	}
}
