import { lstat, mkdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { isKeywardClientError } from '../src/errors.js'
import { type FileLockOptions, withFileLock } from '../src/file-lock.js'
import { useTempDirs } from './helpers.js'

/** Faults the file system below can be told to have, for states a test cannot create as root. */
const faults = vi.hoisted(() => ({
	/** `rename` of this path fails with EPERM, as in a sticky directory owned by someone else. */
	renameFails: undefined as string | undefined,
	/** `stat` and `lstat` of this path fail with ENOENT, as when a lock is freed just before each look. */
	vanishes: undefined as string | undefined,
}))

vi.mock('node:fs/promises', async (importOriginal) => {
	const actual = await importOriginal<typeof import('node:fs/promises')>()
	const fail = (code: string, path: unknown) =>
		Object.assign(new Error(`${code}: simulated fault, '${String(path)}'`), { code })
	return {
		...actual,
		rename: async (from: string, to: string) => {
			if (from === faults.renameFails) throw fail('EPERM', from)
			return actual.rename(from, to)
		},
		stat: async (path: string, ...rest: []) => {
			if (path === faults.vanishes) throw fail('ENOENT', path)
			return actual.stat(path, ...rest)
		},
		lstat: async (path: string, ...rest: []) => {
			if (path === faults.vanishes) throw fail('ENOENT', path)
			return actual.lstat(path, ...rest)
		},
	}
})

const tempDir = useTempDirs()

afterEach(() => {
	faults.renameFails = undefined
	faults.vanishes = undefined
})

/**
 * A clock that only moves when the lock sleeps, so nothing depends on the machine's speed. It
 * throws once read `limit` times: a loop that never gives up fails the test instead of hanging it.
 */
function fakeClock({ start = 0, limit = 10_000 } = {}) {
	let time = start
	let reads = 0
	const sleeps: number[] = []
	return {
		sleeps,
		/** Milliseconds the lock has slept. */
		get slept() {
			return time - start
		},
		options(extra: FileLockOptions = {}): FileLockOptions {
			return {
				now: () => {
					reads += 1
					if (reads > limit) throw new Error(`the lock read the clock more than ${limit} times`)
					return time
				},
				sleep: async (ms) => {
					sleeps.push(ms)
					time += ms
				},
				...extra,
			}
		},
	}
}

async function lockPathIn(): Promise<string> {
	return join(await tempDir(), 'credentials.lock')
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
	return promise.then(
		() => new Error('expected a rejection'),
		(error: unknown) => error,
	)
}

const untouched = async (): Promise<never> => {
	throw new Error('fn must not run without the lock')
}

describe('withFileLock', () => {
	// creating symbolic links on Windows takes a privilege tests cannot count on
	it.runIf(process.platform !== 'win32')(
		'refuses a dangling symlink at the lock path instead of spinning',
		async () => {
			const lockPath = await lockPathIn()
			const target = join(lockPath, '..', 'nowhere')
			await symlink(target, lockPath)
			const clock = fakeClock()
			const error = await rejection(withFileLock(lockPath, untouched, clock.options({ timeoutMs: 500 })))
			expect(isKeywardClientError(error, 'lock_invalid')).toBe(true)
			expect((error as Error).message).toContain(lockPath)
			expect(clock.sleeps).toEqual([])
			// what is there is left alone, and nothing is created through it
			expect((await lstat(lockPath)).isSymbolicLink()).toBe(true)
			await expect(lstat(target)).rejects.toThrow()
		},
		10_000,
	)

	it.runIf(process.platform !== 'win32')(
		'refuses a symlink to a file, or a directory, at the lock path, however old, and leaves it alone',
		async () => {
			const dir = await tempDir()
			const anHourAgo = new Date(Date.now() - 3_600_000)
			const target = join(dir, 'precious')
			await writeFile(target, 'precious\n')
			await utimes(target, anHourAgo, anHourAgo)
			const linked = join(dir, 'linked.lock')
			await symlink(target, linked)
			const directory = join(dir, 'directory.lock')
			await mkdir(directory)
			await utimes(directory, anHourAgo, anHourAgo)

			for (const lockPath of [linked, directory]) {
				const clock = fakeClock()
				const error = await rejection(
					withFileLock(lockPath, untouched, clock.options({ timeoutMs: 500, staleMs: 1000 })),
				)
				expect(isKeywardClientError(error, 'lock_invalid')).toBe(true)
				expect((error as Error).message).toContain(lockPath)
				expect(clock.sleeps).toEqual([])
			}
			expect((await lstat(linked)).isSymbolicLink()).toBe(true)
			expect((await lstat(directory)).isDirectory()).toBe(true)
			expect(await readFile(target, 'utf8')).toBe('precious\n')
		},
		10_000,
	)

	it('gives up after timeoutMs, in bounded attempts, on a live lock', async () => {
		const lockPath = await lockPathIn()
		await writeFile(lockPath, '12345\n')
		const clock = fakeClock()
		const error = await rejection(
			withFileLock(lockPath, untouched, clock.options({ timeoutMs: 1000, retryDelayMs: 20 })),
		)
		expect(isKeywardClientError(error, 'lock_timeout')).toBe(true)
		expect((error as Error).message).toContain(lockPath)
		// pauses are at least half of retryDelayMs, so 1000 ms allow at most 100 of them
		expect(clock.sleeps.length).toBeGreaterThan(1)
		expect(clock.sleeps.length).toBeLessThanOrEqual(101)
		expect(await readFile(lockPath, 'utf8')).toBe('12345\n')
	}, 10_000)

	it('never sleeps past the deadline', async () => {
		const lockPath = await lockPathIn()
		await writeFile(lockPath, '12345\n')
		const clock = fakeClock()
		const error = await rejection(
			withFileLock(lockPath, untouched, clock.options({ timeoutMs: 500, retryDelayMs: 60_000 })),
		)
		expect(isKeywardClientError(error, 'lock_timeout')).toBe(true)
		expect(clock.sleeps.length).toBeGreaterThan(0)
		expect(clock.slept).toBeLessThanOrEqual(500)
	}, 10_000)

	it('gives up after timeoutMs when a stale lock cannot be moved aside', async () => {
		const lockPath = await lockPathIn()
		await writeFile(lockPath, '99999\n')
		const anHourAgo = new Date(Date.now() - 3_600_000)
		await utimes(lockPath, anHourAgo, anHourAgo)
		faults.renameFails = lockPath
		const clock = fakeClock({ start: Date.now() })
		const error = await rejection(
			withFileLock(lockPath, untouched, clock.options({ timeoutMs: 500, staleMs: 1000 })),
		)
		expect(isKeywardClientError(error, 'lock_timeout')).toBe(true)
		expect(clock.sleeps.length).toBeGreaterThan(0)
		expect(clock.sleeps.length).toBeLessThanOrEqual(41)
		expect(await readFile(lockPath, 'utf8')).toBe('99999\n')
	}, 10_000)

	it('gives up after timeoutMs when the lock is gone each time it is looked at', async () => {
		const lockPath = await lockPathIn()
		await writeFile(lockPath, '12345\n')
		faults.vanishes = lockPath
		const clock = fakeClock()
		const error = await rejection(withFileLock(lockPath, untouched, clock.options({ timeoutMs: 500 })))
		expect(isKeywardClientError(error, 'lock_timeout')).toBe(true)
		expect(clock.sleeps.length).toBeGreaterThan(0)
		expect(clock.sleeps.length).toBeLessThanOrEqual(41)
	}, 10_000)

	it('refuses options that would leave the wait unbounded, before touching the disk', async () => {
		const lockPath = await lockPathIn()
		const bad: FileLockOptions[] = [
			{ timeoutMs: Number.NaN },
			{ timeoutMs: Number.POSITIVE_INFINITY },
			{ timeoutMs: -1 },
			{ retryDelayMs: Number.NaN },
			{ retryDelayMs: Number.POSITIVE_INFINITY },
			{ retryDelayMs: -1 },
			{ staleMs: Number.NaN },
			{ staleMs: -1 },
		]
		for (const options of bad) {
			const error = await rejection(withFileLock(lockPath, async () => 'ran', options))
			expect(isKeywardClientError(error, 'invalid_option'), JSON.stringify(options)).toBe(true)
		}
		await expect(lstat(lockPath)).rejects.toThrow()
		// never taking a lock over is a valid choice: the timeout still bounds the wait
		expect(await withFileLock(lockPath, async () => 'ran', { staleMs: Number.POSITIVE_INFINITY })).toBe('ran')
	}, 10_000)

	it.runIf(process.platform !== 'win32')(
		'creates the lock file as a regular file with mode 0600, whatever the umask, and removes it',
		async () => {
			const lockPath = await lockPathIn()
			const umask = process.umask(0)
			try {
				const seen = await withFileLock(lockPath, async () => {
					const held = await lstat(lockPath)
					return { file: held.isFile(), mode: held.mode & 0o777 }
				})
				expect(seen).toEqual({ file: true, mode: 0o600 })
			} finally {
				process.umask(umask)
			}
			await expect(lstat(lockPath)).rejects.toThrow()
		},
		10_000,
	)
})
