import { homedir as osHomedir } from 'node:os'
import { posix, win32 } from 'node:path'
import { KeywardClientError } from './errors.js'

/** Where the process runs; every field defaults to the real process, tests inject their own. */
export interface SystemOptions {
	/** Environment variables. @defaultValue process.env */
	env?: Readonly<Record<string, string | undefined>> | undefined
	/** The user's home directory. @defaultValue os.homedir() */
	homedir?: string | undefined
	/** Operating system, as `process.platform` names it. @defaultValue process.platform */
	platform?: NodeJS.Platform | undefined
}

/**
 * The user's configuration directory: `%APPDATA%` on Windows (falling back to
 * `<home>\AppData\Roaming`), otherwise `$XDG_CONFIG_HOME` when it is an absolute path, else
 * `~/.config` (also on macOS, as command-line tools there do).
 * @example userConfigDir() // '/home/ada/.config'
 */
export function userConfigDir(options: Readonly<SystemOptions> = {}): string {
	const env = options.env ?? process.env
	const platform = options.platform ?? process.platform
	const home = options.homedir ?? osHomedir()
	if (platform === 'win32') {
		const appData = env.APPDATA
		return appData !== undefined && win32.isAbsolute(appData)
			? appData
			: win32.join(home, 'AppData', 'Roaming')
	}
	const xdg = env.XDG_CONFIG_HOME
	// The XDG spec says relative values are invalid and must be ignored.
	return xdg !== undefined && posix.isAbsolute(xdg) ? xdg : posix.join(home, '.config')
}

/** App names become directory names: letters, digits, `.`, `_` and `-`, not starting with a dot. */
export const APP_NAME_PATTERN: RegExp = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/

/**
 * Default credentials file of an app: `<userConfigDir>/<appName>/credentials`.
 * Throws `KeywardClientError('invalid_option')` for an app name that is not a plain directory name.
 * @example defaultCredentialsPath('example') // '/home/ada/.config/example/credentials'
 */
export function defaultCredentialsPath(appName: string, options: Readonly<SystemOptions> = {}): string {
	if (!APP_NAME_PATTERN.test(appName)) {
		throw new KeywardClientError(
			'invalid_option',
			'appName must be 1-64 letters, digits, ".", "_" or "-", not starting with "."',
		)
	}
	const platform = options.platform ?? process.platform
	const dir = userConfigDir(options)
	return (platform === 'win32' ? win32 : posix).join(dir, appName, 'credentials')
}
