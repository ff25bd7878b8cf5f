import { randomUUID } from 'node:crypto'
import { link, open, rename, stat, unlink } from 'node:fs/promises'
import { setTimeout as delay } from 'node:timers/promises'
import { KeywardClientError } from './errors.js'

/** How {@link withFileLock} waits for, and recovers, a lock file. */
export interface FileLockOptions {
	/** Give up with `KeywardClientError('lock_timeout')` after waiting this long. @defaultValue 10_000 */
	timeoutMs?: number | undefined
	/** A lock file older than this is left over from a crashed process and is removed. @defaultValue 30_000 */
	staleMs?: number | undefined
	/** Average pause between attempts (randomised by ±50% so waiters spread out). @defaultValue 25 */
	retryDelayMs?: number | undefined
	/** Clock, in milliseconds since the epoch. @defaultValue Date.now */
	now?: (() => number) | undefined
	/** Pause between attempts. @defaultValue a timer */
	sleep?: ((ms: number) => Promise<void>) | undefined
}

const defaultSleep = (ms: number): Promise<void> => delay(ms)

function errorCode(error: unknown): unknown {
	return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
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
		return // someone else dealt with it
	}
	const moved = await stat(aside).catch(() => null)
	if (moved !== null && (moved.ino !== seen.ino || moved.mtimeMs !== seen.mtimeMs)) {
		await link(aside, lockPath).catch(() => undefined)
	}
	await unlink(aside).catch(() => undefined)
}

async function acquire(lockPath: string, options: Readonly<FileLockOptions>): Promise<void> {
	const now = options.now ?? Date.now
	const sleep = options.sleep ?? defaultSleep
	const timeoutMs = options.timeoutMs ?? 10_000
	const staleMs = options.staleMs ?? 30_000
	const retryDelayMs = options.retryDelayMs ?? 25
	const deadline = now() + timeoutMs
	for (;;) {
		try {
			const handle = await open(lockPath, 'wx', 0o600)
			try {
				await handle.writeFile(`${process.pid}\n`)
			} finally {
				await handle.close()
			}
			return
		} catch (error) {
			if (errorCode(error) !== 'EEXIST') throw error
		}
		const held = await stat(lockPath).catch(() => null)
		if (held === null) continue // released between our attempt and the stat
		if (now() - held.mtimeMs > staleMs) {
			await breakStaleLock(lockPath, held)
			continue
		}
		if (now() >= deadline) {
			throw new KeywardClientError(
				'lock_timeout',
				`Timed out waiting for the lock file ${lockPath}; if no other process is writing, delete it.`,
			)
		}
		await sleep(retryDelayMs * (0.5 + Math.random()))
	}
}

/**
 * Runs `fn` while holding `lockPath`, a file created exclusively (`O_EXCL`), so that
 * read-modify-write cycles of several processes on one file never lose an update.
 * @example await withFileLock(`${path}.lock`, async () => write(path, edit(await read(path))))
 */
export async function withFileLock<T>(
	lockPath: string,
	fn: () => Promise<T>,
	options: Readonly<FileLockOptions> = {},
): Promise<T> {
	await acquire(lockPath, options)
	try {
		return await fn()
	} finally {
		await unlink(lockPath).catch(() => undefined)
	}
}
