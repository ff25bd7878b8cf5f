import { describe, expect, it } from 'vitest'
import { defaultCredentialsPath, userConfigDir } from '../src/config-dir.js'
import { isKeywardClientError } from '../src/errors.js'

describe('userConfigDir', () => {
	it('uses $XDG_CONFIG_HOME when it is absolute, else ~/.config', () => {
		const base = { homedir: '/home/ada', platform: 'linux' as const }
		expect(userConfigDir({ ...base, env: { XDG_CONFIG_HOME: '/srv/config' } })).toBe('/srv/config')
		expect(userConfigDir({ ...base, env: { XDG_CONFIG_HOME: 'relative/config' } })).toBe('/home/ada/.config')
		expect(userConfigDir({ ...base, env: {} })).toBe('/home/ada/.config')
		expect(userConfigDir({ homedir: '/Users/ada', platform: 'darwin', env: {} })).toBe('/Users/ada/.config')
	})

	it('uses %APPDATA% on Windows', () => {
		const base = { homedir: 'C:\\Users\\ada', platform: 'win32' as const }
		expect(userConfigDir({ ...base, env: { APPDATA: 'D:\\Roaming' } })).toBe('D:\\Roaming')
		expect(userConfigDir({ ...base, env: {} })).toBe('C:\\Users\\ada\\AppData\\Roaming')
	})
})

describe('defaultCredentialsPath', () => {
	it('is <configDir>/<appName>/credentials', () => {
		expect(defaultCredentialsPath('example', { homedir: '/home/ada', platform: 'linux', env: {} })).toBe(
			'/home/ada/.config/example/credentials',
		)
		expect(
			defaultCredentialsPath('example', {
				homedir: 'C:\\Users\\ada',
				platform: 'win32',
				env: { APPDATA: 'C:\\AD' },
			}),
		).toBe('C:\\AD\\example\\credentials')
	})

	it('refuses app names that are not plain directory names', () => {
		for (const name of ['', '..', '.hidden', 'a/b', 'a\\b', 'x'.repeat(65)]) {
			let caught: unknown
			try {
				defaultCredentialsPath(name, { homedir: '/h', platform: 'linux', env: {} })
			} catch (error) {
				caught = error
			}
			expect(isKeywardClientError(caught, 'invalid_option')).toBe(true)
		}
	})
})
