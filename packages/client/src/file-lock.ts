import { randomUUID } from 'node:crypto'
import { link, lstat, open, rename, unlink } from 'node:fs/promises'
import { setTimeout as delay } from 'node:timers/promises'
import { KeywardClientError } from './errors.js'
import { checkOptionNames } from './option-names.js'

/**
 * How the credentials file lock waits for, and recovers, a lock file. Every wait is bounded: invalid
 * numbers (negative, `NaN`, or an infinite `timeoutMs` or `retryDelayMs`) are refused with
 * `KeywardClientError('invalid_option')`.
 */
export interface FileLockOptions {
	/** Give up with `KeywardClientError('lock_timeout')` after waiting this long; finite. @defaultValue 10_000 */
	timeoutMs?: number | undefined
	/** A lock file older than this is left over from a crashed process and is removed; may be `Infinity`. @defaultValue 30_000 */
	staleMs?: number | undefined
	/** Average pause between attempts (randomised by ±50% so waiters spread out, never past the deadline); finite. @defaultValue 25 */
	retryDelayMs?: number | undefined
	/** Clock, in milliseconds since the epoch. @defaultValue Date.now */
	now?: (() => number) | undefined
	/** Pause between attempts. @defaultValue a timer */
	sleep?: ((ms: number) => Promise<void>) | undefined
}

interface ResolvedFileLockOptions {
	timeoutMs: number
	staleMs: number
	retryDelayMs: number
	now: () => number
	sleep: (ms: number) => Promise<void>
}

const defaultSleep = (ms: number): Promise<void> => delay(ms)

function errorCode(error: unknown): unknown {
	return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
}

function checkDuration(name: string, value: number, infinite: boolean): number {
	if (typeof value !== 'number' || !(value >= 0) || (!infinite && value === Number.POSITIVE_INFINITY)) {
		throw new KeywardClientError(
			'invalid_option',
			`lock.${name} must be a ${infinite ? '' : 'finite '}non-negative number of milliseconds`,
		)
	}
	return value
}

/**
 * Fills in the defaults of {@link FileLockOptions} and refuses values that would make a wait
 * unbounded. Throws `KeywardClientError('invalid_option')`.
 */
export function resolveFileLockOptions(options: Readonly<FileLockOptions> = {}): ResolvedFileLockOptions {
	checkOptionNames(options, 'lock')
	return {
		timeoutMs: checkDuration('timeoutMs', options.timeoutMs ?? 10_000, false),
		staleMs: checkDuration('staleMs', options.staleMs ?? 30_000, true),
		retryDelayMs: checkDuration('retryDelayMs', options.retryDelayMs ?? 25, false),
		now: options.now ?? Date.now,
		sleep: options.sleep ?? defaultSleep,
	}
}

/** Creates the lock file exclusively; `false` when something already exists at its path. */
async function tryCreate(lockPath: string): Promise<boolean> {
	let handle: Awaited<ReturnType<typeof open>>
	try {
		// O_EXCL also fails on a symbolic link, dangling or not: nothing is ever created through one.
		handle = await open(lockPath, 'wx', 0o600)
	} catch (error) {
		if (errorCode(error) === 'EEXIST') return false
		throw error
	}
	try {
		await handle.writeFile(`${process.pid}\n`)
	} catch (error) {
		await handle.close().catch(() => undefined)
		await unlink(lockPath).catch(() => undefined)
		throw error
	}
	await handle.close()
	return true
}

/**
 * Moves a stale lock aside. If another process replaced it in the meantime, that fresh lock is
 * put back when its place is still free (recovery from crashes is best effort by nature).
 */
async function breakStaleLock(lockPath: string, seen: { ino: number; mtimeMs: number }): Promise<void> {
	const aside = `${lockPath}.${randomUUID()}.stale`
	try {
		await rename(lockPath, aside)
	} catch {
		return // someone else dealt with it, or it cannot be moved: the deadline still applies
	}
	const moved = await lstat(aside).catch(() => null)
	if (moved !== null && (moved.ino !== seen.ino || moved.mtimeMs !== seen.mtimeMs)) {
		await link(aside, lockPath).catch(() => undefined)
	}
	await unlink(aside).catch(() => undefined)
}

/**
 * Takes the lock, or throws. Every attempt that fails ends at the deadline check and a pause, so
 * the loop neither spins nor outlives `timeoutMs` (by more than one attempt).
 */
async function acquire(lockPath: string, options: ResolvedFileLockOptions): Promise<void> {
	const { now, sleep, timeoutMs, staleMs, retryDelayMs } = options
	const deadline = now() + timeoutMs
	for (;;) {
		if (await tryCreate(lockPath)) return
		// lstat: the lock file itself, never what a symbolic link there points to
		const held = await lstat(lockPath).catch((error: unknown) => {
			if (errorCode(error) === 'ENOENT') return null // freed between our attempt and this look
			throw error
		})
		if (held !== null && !held.isFile()) {
			const kind = held.isSymbolicLink() ? 'symbolic link' : held.isDirectory() ? 'directory' : 'special file'
			throw new KeywardClientError(
				'lock_invalid',
				`Refusing the lock path ${lockPath}: it is a ${kind}, never a lock this library made; remove it if no other program uses it.`,
			)
		}
		if (held !== null && now() - held.mtimeMs > staleMs) {
			await breakStaleLock(lockPath, held)
			if (await tryCreate(lockPath)) return
		}
		const left = deadline - now()
		if (!(left > 0)) {
			throw new KeywardClientError(
				'lock_timeout',
				`Timed out waiting for the lock file ${lockPath}; if no other process is writing, delete it.`,
			)
		}
		await sleep(Math.min(left, retryDelayMs * (0.5 + Math.random())))
	}
}

/**
 * Runs `fn` while holding `lockPath`, a regular file created exclusively (`O_EXCL`, mode 0600), so
 * that read-modify-write cycles of several processes on one file never lose an update.
 *
 * Throws `KeywardClientError('lock_timeout')` when the lock stays held for `timeoutMs`,
 * `KeywardClientError('lock_invalid')` at once when something other than a regular file (a
 * symbolic link, a directory) sits at `lockPath`, and `KeywardClientError('invalid_option')` for
 * options that would not bound the wait.
 * @example await withFileLock(`${path}.lock`, async () => write(path, edit(await read(path))))
 */
export async function withFileLock<T>(
	lockPath: string,
	fn: () => Promise<T>,
	options: Readonly<FileLockOptions> = {},
): Promise<T> {
	await acquire(lockPath, resolveFileLockOptions(options))
	try {
		return await fn()
	} finally {
		await unlink(lockPath).catch(() => undefined)
	}
}
