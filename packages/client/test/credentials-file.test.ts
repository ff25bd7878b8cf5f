import { chmod, lstat, readdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CredentialsFile } from '../src/credentials-file.js'
import { isKeywardClientError, KeywardClientError } from '../src/errors.js'
import { KEY, OTHER_KEY, useTempDirs } from './helpers.js'

const tempDir = useTempDirs()

async function setup(options: { warn?: (message: string) => void } = {}) {
	const home = await tempDir()
	const warnings: string[] = []
	const file = new CredentialsFile({
		appName: 'example',
		homedir: home,
		env: {},
		warn: options.warn ?? ((message) => warnings.push(message)),
	})
	return { home, file, warnings }
}

describe('CredentialsFile', () => {
	it('lives at <home>/.config/<appName>/credentials by default', async () => {
		const { home, file } = await setup()
		expect(file.path).toBe(join(home, '.config', 'example', 'credentials'))
		expect(() => new CredentialsFile({})).toThrow(KeywardClientError)
	})

	it('reads nothing from a file that does not exist yet', async () => {
		const { file } = await setup()
		expect(await file.list()).toEqual([])
		expect(await file.get()).toBeUndefined()
		expect(await file.remove('default')).toBe(false)
	})

	it('writes, reads, lists and removes profiles', async () => {
		const { file } = await setup()
		await file.set('default', KEY)
		await file.set('staging', OTHER_KEY)
		expect(await file.get()).toBe(KEY)
		expect(await file.get('staging')).toBe(OTHER_KEY)
		expect(await file.get('missing')).toBeUndefined()
		expect(await file.list()).toEqual(['default', 'staging'])
		expect(await readFile(file.path, 'utf8')).toBe(
			`[default]\napi_key = ${KEY}\n\n[staging]\napi_key = ${OTHER_KEY}\n`,
		)

		await file.set('default', OTHER_KEY)
		expect(await file.get('default')).toBe(OTHER_KEY)
		expect(await file.remove('default')).toBe(true)
		expect(await file.remove('default')).toBe(false)
		expect(await file.list()).toEqual(['staging'])
	})

	it('keeps what was written by hand', async () => {
		const { file } = await setup()
		await file.set('default', KEY)
		const handmade = `# keys for the example API\n[default]\napi_key = ${KEY}\nnote = laptop\n\n[ci]\napi_key = ${OTHER_KEY}\n`
		await writeFile(file.path, handmade, { mode: 0o600 })
		await file.set('staging', KEY)
		await file.remove('ci')
		expect(await readFile(file.path, 'utf8')).toBe(
			`# keys for the example API\n[default]\napi_key = ${KEY}\nnote = laptop\n\n\n[staging]\napi_key = ${KEY}\n`,
		)
		expect(await file.list()).toEqual(['default', 'staging'])
	})

	it('lists only profiles that hold a key under a valid name', async () => {
		const { file } = await setup()
		await file.set('default', KEY)
		await writeFile(
			file.path,
			`[default]\napi_key = ${KEY}\n[empty]\napi_key =\n[settings]\nregion = eu\n[bad name]\napi_key = x\n`,
		)
		await chmod(file.path, 0o600)
		expect(await file.list()).toEqual(['default'])
		expect(await file.get('empty')).toBeUndefined()
	})

	it.runIf(process.platform !== 'win32')(
		'creates the file with mode 0600 in a directory with mode 0700',
		async () => {
			const { file, warnings } = await setup()
			await file.set('default', KEY)
			expect((await stat(file.path)).mode & 0o777).toBe(0o600)
			expect((await stat(join(file.path, '..'))).mode & 0o777).toBe(0o700)
			await file.set('other', OTHER_KEY)
			expect((await stat(file.path)).mode & 0o777).toBe(0o600)
			expect(warnings).toEqual([])
			// no temporary or lock files are left behind
			expect(await readdir(join(file.path, '..'))).toEqual(['credentials'])
		},
	)

	it.runIf(process.platform !== 'win32')(
		'creates the file 0600 and every directory it makes 0700, whatever the umask',
		async () => {
			const { home, file } = await setup()
			const umask = process.umask(0)
			try {
				await file.set('default', KEY)
				await file.set('other', OTHER_KEY)
			} finally {
				process.umask(umask)
			}
			expect((await stat(file.path)).mode & 0o777).toBe(0o600)
			expect((await stat(join(home, '.config', 'example'))).mode & 0o777).toBe(0o700)
			expect((await stat(join(home, '.config'))).mode & 0o777).toBe(0o700)
		},
	)

	it.runIf(process.platform !== 'win32')(
		'warns once, without the key, when others can read the file',
		async () => {
			const { file, warnings } = await setup()
			await file.set('default', KEY)
			await chmod(file.path, 0o644)
			expect(await file.get()).toBe(KEY)
			expect(await file.list()).toEqual(['default'])
			expect(warnings).toHaveLength(1)
			expect(warnings[0]).toContain(file.path)
			expect(warnings[0]).toContain('0644')
			expect(warnings[0]).toContain('chmod 600')
			expect(warnings[0]).not.toContain(KEY)
			// a rewrite makes the file private again
			await file.set('default', OTHER_KEY)
			expect((await stat(file.path)).mode & 0o777).toBe(0o600)
		},
	)

	it.runIf(process.platform !== 'win32')('warns through process.emitWarning by default', async () => {
		const home = await tempDir()
		const file = new CredentialsFile({ appName: 'example', homedir: home, env: {} })
		await file.set('default', KEY)
		await chmod(file.path, 0o640)
		const emitted = new Promise<Error>((resolve) => process.once('warning', resolve))
		await file.get()
		const warning = await emitted
		expect(warning.message).toContain('can be accessed by other users')
		expect((warning as Error & { code?: string }).code).toBe('KEYWARD_CREDENTIALS_PERMISSIONS')
	})

	it('refuses bad profile names and bad keys before touching the disk', async () => {
		const { file } = await setup()
		for (const name of ['', 'a b', '[x]', 'a\nb', '_hidden', '__proto__', 'x'.repeat(65)]) {
			await expect(file.set(name, KEY)).rejects.toSatisfy((e) => isKeywardClientError(e, 'invalid_profile'))
			await expect(file.get(name)).rejects.toSatisfy((e) => isKeywardClientError(e, 'invalid_profile'))
		}
		const bad = `${KEY}\n[evil]\napi_key = x`
		const error = await file.set('default', bad).catch((e: unknown) => e)
		expect(isKeywardClientError(error, 'invalid_api_key')).toBe(true)
		expect((error as Error).message).not.toContain(KEY)
		await expect(stat(file.path)).rejects.toThrow()
	})

	it('loses no profile under many concurrent writers in one process', async () => {
		const { home } = await setup()
		const files = Array.from(
			{ length: 30 },
			() => new CredentialsFile({ appName: 'example', homedir: home, env: {}, lock: { retryDelayMs: 1 } }),
		)
		await Promise.all(files.map((file, i) => file.set(`p${i}`, `${KEY}${i}`)))
		const names = await files[0]?.list()
		expect(names?.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `p${i}`).sort())
		for (let i = 0; i < 30; i++) expect(await files[0]?.get(`p${i}`)).toBe(`${KEY}${i}`)
	})

	it('takes over a lock left behind by a crashed writer', async () => {
		const { file } = await setup()
		await file.set('default', KEY)
		const lock = `${file.path}.lock`
		await writeFile(lock, '99999\n')
		const anHourAgo = new Date(Date.now() - 3_600_000)
		await utimes(lock, anHourAgo, anHourAgo)
		await file.set('staging', OTHER_KEY)
		expect(await file.list()).toEqual(['default', 'staging'])
		await expect(stat(lock)).rejects.toThrow()
	})

	it('gives up on a live lock after lock.timeoutMs', async () => {
		const home = await tempDir()
		let clock = 0
		const sleeps: number[] = []
		const file = new CredentialsFile({
			appName: 'example',
			homedir: home,
			env: {},
			lock: {
				timeoutMs: 1000,
				staleMs: Number.MAX_SAFE_INTEGER,
				now: () => clock,
				sleep: async (ms) => {
					sleeps.push(ms)
					clock += ms
				},
			},
		})
		await file.set('default', KEY)
		await writeFile(`${file.path}.lock`, `${process.pid}\n`)
		const error = await file.set('staging', OTHER_KEY).catch((e: unknown) => e)
		expect(isKeywardClientError(error, 'lock_timeout')).toBe(true)
		expect((error as Error).message).toContain(`${file.path}.lock`)
		expect(sleeps.length).toBeGreaterThan(1)
		expect(clock).toBeGreaterThanOrEqual(1000)
		expect(await file.list()).toEqual(['default'])
	})

	it.runIf(process.platform !== 'win32')(
		'refuses a symlink at its lock path, naming it, and writes nothing',
		async () => {
			const { file } = await setup()
			await file.set('default', KEY)
			const lock = `${file.path}.lock`
			await symlink(join(file.path, '..', 'nowhere'), lock)
			const sleeps: number[] = []
			const guarded = new CredentialsFile({
				path: file.path,
				lock: {
					timeoutMs: 500,
					sleep: async (ms) => {
						sleeps.push(ms)
					},
				},
			})
			const error = await guarded.set('staging', OTHER_KEY).catch((e: unknown) => e)
			expect(isKeywardClientError(error, 'lock_invalid')).toBe(true)
			expect((error as Error).message).toContain(lock)
			expect(sleeps).toEqual([])
			expect((await lstat(lock)).isSymbolicLink()).toBe(true)
			expect(await file.list()).toEqual(['default'])
		},
		10_000,
	)

	it('refuses lock options that could wait without bound when constructed', async () => {
		const path = join(await tempDir(), 'credentials')
		for (const lock of [{ timeoutMs: Number.NaN }, { retryDelayMs: -1 }, { staleMs: Number.NaN }]) {
			expect(() => new CredentialsFile({ path, lock })).toThrow(
				expect.objectContaining({ code: 'invalid_option' }),
			)
		}
	})
})
