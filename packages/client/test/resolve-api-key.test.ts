import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { CredentialsFile } from '../src/credentials-file.js'
import { isKeywardClientError } from '../src/errors.js'
import { type ResolveApiKeyOptions, resolveApiKey } from '../src/resolve-api-key.js'
import { FakeTerminal, KEY, OTHER_KEY, recorder, useTempDirs } from './helpers.js'

const tempDir = useTempDirs()
const THIRD_KEY = 'kw_9Yh8Gf7Ed6Cb5Aa4Zz3Xx2Ww1Vv0UuTtSsRr'

/** An isolated world: a temporary home, no environment, warnings collected. */
async function world(env: Record<string, string> = {}) {
	const home = await tempDir()
	const warnings: string[] = []
	const base = {
		envVar: 'EXAMPLE_API_KEY',
		appName: 'example',
		homedir: home,
		cwd: home,
		env,
		warn: (message: string) => warnings.push(message),
	} satisfies ResolveApiKeyOptions
	const file = new CredentialsFile({ appName: 'example', homedir: home, env })
	return { home, base, file, warnings }
}

async function failure(promise: Promise<unknown>): Promise<Error> {
	const error = await promise.then(
		() => undefined,
		(e: unknown) => e,
	)
	if (!(error instanceof Error)) throw new Error('expected a rejection')
	return error
}

describe('resolveApiKey lookup order', () => {
	it('1. an explicit key wins over everything', async () => {
		const { base, file } = await world({ EXAMPLE_API_KEY: OTHER_KEY })
		await file.set('default', THIRD_KEY)
		expect(await resolveApiKey({ ...base, apiKey: ` ${KEY}\n` })).toEqual({
			apiKey: KEY,
			source: 'argument',
			from: 'the argument',
		})
	})

	it('2. then the environment variable', async () => {
		const { base, file } = await world({ EXAMPLE_API_KEY: OTHER_KEY })
		await file.set('default', THIRD_KEY)
		expect(await resolveApiKey(base)).toEqual({
			apiKey: OTHER_KEY,
			source: 'environment',
			from: 'environment variable EXAMPLE_API_KEY',
		})
	})

	it('3. then the profile of the credentials file', async () => {
		const { base, file } = await world({ EXAMPLE_API_KEY: '  ' })
		await file.set('default', THIRD_KEY)
		await file.set('staging', KEY)
		expect(await resolveApiKey(base)).toEqual({
			apiKey: THIRD_KEY,
			source: 'credentials_file',
			from: `profile "default" in ${file.path}`,
		})
		expect((await resolveApiKey({ ...base, profile: 'staging' })).apiKey).toBe(KEY)
	})

	it('4. then the prompt, which saves the key in the profile with mode 0600', async () => {
		const { base, file } = await world()
		const input = new FakeTerminal()
		const output = recorder()
		const resolved = resolveApiKey({ ...base, profile: 'staging', interactive: true, input, output })
		input.write(`${KEY}\r`)
		expect(await resolved).toEqual({ apiKey: KEY, source: 'prompt', from: 'the prompt' })
		expect(await file.get('staging')).toBe(KEY)
		if (process.platform !== 'win32') expect((await stat(file.path)).mode & 0o777).toBe(0o600)
		expect(output.text).toBe(`example API key: \nSaved the API key in profile "staging" of ${file.path}\n`)
		expect(output.text).not.toContain(KEY)
		// next time the file answers
		expect(await resolveApiKey({ ...base, profile: 'staging' })).toMatchObject({ source: 'credentials_file' })
	})

	it('does not save a prompted key with save: false or without a credentials file', async () => {
		const { base, file } = await world()
		const input = new FakeTerminal()
		const resolved = resolveApiKey({ ...base, interactive: true, save: false, input, output: recorder() })
		input.write(`${KEY}\r`)
		expect((await resolved).apiKey).toBe(KEY)
		expect(await file.get()).toBeUndefined()

		const noFile = new FakeTerminal()
		const output = recorder()
		const anonymous = resolveApiKey({
			interactive: true,
			input: noFile,
			output,
			env: {},
			promptMessage: 'Key? ',
		})
		noFile.write(`${KEY}\r`)
		expect((await anonymous).apiKey).toBe(KEY)
		expect(output.text).toBe('Key? \n')
	})

	it('does not prompt when the input is not a terminal, or without interactive', async () => {
		const { base } = await world()
		const piped = new PassThrough()
		piped.end(`${KEY}\n`)
		const error = await failure(
			resolveApiKey({ ...base, interactive: true, input: piped, output: recorder() }),
		)
		expect(isKeywardClientError(error, 'api_key_not_found')).toBe(true)
		expect(error.message).toContain('there is no terminal to ask on')

		const terminal = new FakeTerminal()
		expect(
			isKeywardClientError(await failure(resolveApiKey({ ...base, input: terminal })), 'api_key_not_found'),
		).toBe(true)
		expect(terminal.rawModes).toEqual([])
	})

	it('says where a key can go when none is found', async () => {
		const { base, file } = await world()
		const error = await failure(resolveApiKey({ ...base, profile: 'ci' }))
		expect(isKeywardClientError(error, 'api_key_not_found')).toBe(true)
		expect(error.message).toBe(
			`No API key found: pass it as an argument, set the environment variable EXAMPLE_API_KEY or save it in profile "ci" of ${file.path}.`,
		)
		expect((await failure(resolveApiKey({ env: {} }))).message).toBe(
			'No API key found: pass it as an argument.',
		)
	})

	it('warns when the environment hides a profile that was asked for', async () => {
		const { base, file, warnings } = await world({ EXAMPLE_API_KEY: OTHER_KEY })
		await file.set('staging', KEY)
		expect((await resolveApiKey({ ...base, profile: 'staging' })).apiKey).toBe(OTHER_KEY)
		expect(warnings).toEqual([
			'Using the API key from environment variable EXAMPLE_API_KEY; profile "staging" was not read. Unset it to use the profile.',
		])
		await resolveApiKey(base)
		expect(warnings).toHaveLength(1)
	})
})

describe('resolveApiKey sources', () => {
	it('reads a .env file when asked, with the real environment first', async () => {
		const { base, home } = await world()
		await writeFile(join(home, '.env'), `# local settings\nEXAMPLE_API_KEY="${KEY}"\nOTHER=1\n`)
		expect(await resolveApiKey(base).catch((e: unknown) => e)).toSatisfy((e) =>
			isKeywardClientError(e, 'api_key_not_found'),
		)
		expect(await resolveApiKey({ ...base, envFile: true })).toEqual({
			apiKey: KEY,
			source: 'env_file',
			from: `EXAMPLE_API_KEY in ${join(home, '.env')}`,
		})
		const withEnv = { ...base, env: { EXAMPLE_API_KEY: OTHER_KEY }, envFile: true }
		expect((await resolveApiKey(withEnv)).apiKey).toBe(OTHER_KEY)
		expect(process.env.EXAMPLE_API_KEY).toBeUndefined()
	})

	it('skips a missing default .env, but not a missing named one', async () => {
		const { base, file } = await world()
		await file.set('default', KEY)
		expect((await resolveApiKey({ ...base, envFile: true })).apiKey).toBe(KEY)
		const error = await failure(resolveApiKey({ ...base, envFile: 'config/dev.env' }))
		expect(isKeywardClientError(error, 'env_file_not_found')).toBe(true)
		await expect(resolveApiKey({ ...base, envVar: undefined, envFile: true })).rejects.toThrow(
			'envFile needs envVar',
		)
	})

	it('uses $XDG_CONFIG_HOME, an explicit path or a CredentialsFile, and can skip the file', async () => {
		const { base, home } = await world()
		const xdg = join(home, 'xdg')
		const custom = new CredentialsFile({ path: join(xdg, 'example', 'credentials') })
		await custom.set('default', KEY)
		expect((await resolveApiKey({ ...base, env: { XDG_CONFIG_HOME: xdg } })).apiKey).toBe(KEY)
		expect((await resolveApiKey({ ...base, credentialsFile: custom.path })).apiKey).toBe(KEY)
		expect((await resolveApiKey({ ...base, credentialsFile: custom })).apiKey).toBe(KEY)
		const skipped = resolveApiKey({ ...base, credentialsFile: false, env: { XDG_CONFIG_HOME: xdg } })
		expect(isKeywardClientError(await failure(skipped), 'api_key_not_found')).toBe(true)
	})

	it('rejects a malformed key naming its source, never the key', async () => {
		const { base, file } = await world({ EXAMPLE_API_KEY: `${KEY} ${OTHER_KEY}` })
		const fromEnv = await failure(resolveApiKey(base))
		expect(isKeywardClientError(fromEnv, 'invalid_api_key')).toBe(true)
		expect(fromEnv.message).toContain('environment variable EXAMPLE_API_KEY')
		expect(fromEnv.message).not.toContain(KEY)
		expect(fromEnv.message).not.toContain(OTHER_KEY)

		await file.set('default', KEY)
		await writeFile(file.path, `[default]\napi_key = ${KEY} trailing words\n`, { mode: 0o600 })
		const fromFile = await failure(resolveApiKey({ ...base, env: {} }))
		expect(fromFile.message).toContain(`profile "default" in ${file.path}`)
		expect(fromFile.message).not.toContain(KEY)

		const input = new FakeTerminal()
		const prompted = resolveApiKey({
			...base,
			env: {},
			credentialsFile: false,
			interactive: true,
			input,
			output: recorder(),
		})
		input.write('kw_abc\x1b[Cdef ghi\r')
		const fromPrompt = await failure(prompted)
		expect(fromPrompt.message).toContain('the prompt')
		expect(fromPrompt.message).not.toContain('kw_abc')
	})

	it('validates its options', async () => {
		const { base } = await world()
		await expect(resolveApiKey({ ...base, envVar: 'NOT A NAME' })).rejects.toThrow('envVar must be')
		await expect(resolveApiKey({ ...base, profile: 'bad name' })).rejects.toSatisfy((e) =>
			isKeywardClientError(e, 'invalid_profile'),
		)
		await expect(resolveApiKey({ ...base, appName: '../escape' })).rejects.toSatisfy((e) =>
			isKeywardClientError(e, 'invalid_option'),
		)
	})
})
