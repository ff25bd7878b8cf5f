import { chmod, lstat, mkdir, readdir, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/** Permission bits for the group and for others. */
const SHARED = 0o077

/** POSIX file modes mean something here (on Windows, chmod only toggles read-only). */
const posix = process.platform !== 'win32'

function octal(mode: number): string {
	return `0${(mode & 0o777).toString(8).padStart(3, '0')}`
}

function isMissing(error: unknown): boolean {
	return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}

/**
 * Make `dir` a directory only its owner can enter: create it 0700 (missing parents 0755, so no
 * other user can rename or replace it), or chmod an existing one that is more open to 0700 when
 * this process owns it. Throws, changing nothing, when it belongs to another user and the group
 * or others have any access to it.
 */
export async function preparePrivateDir(dir: string): Promise<void> {
	if (!posix) {
		await mkdir(dir, { recursive: true })
		return
	}
	await mkdir(dirname(dir), { recursive: true, mode: 0o755 })
	try {
		await mkdir(dir, { mode: 0o700 })
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
	}
	const info = await stat(dir)
	if (!info.isDirectory()) throw new Error(`dataDir ${dir} is not a directory`)
	if ((info.mode & 0o777) === 0o700) return
	const uid = process.getuid?.()
	if (info.uid !== uid) {
		if ((info.mode & SHARED) === 0) return
		throw new Error(
			`dataDir ${dir} is mode ${octal(info.mode)} and owned by uid ${info.uid}, not by this process ` +
				`(uid ${uid}): other users could read or change the database. Make it 0700 or use another directory.`,
		)
	}
	// A stricter umask may have left out owner bits; PGlite needs all three.
	await chmod(dir, 0o700)
}

/**
 * Remove group and other permission bits from everything under `dir` (symbolic links are left
 * alone, not followed). Entries that vanish meanwhile are skipped.
 */
export async function tightenTree(dir: string): Promise<void> {
	if (!posix) return
	let entries: string[]
	try {
		entries = await readdir(dir)
	} catch (error) {
		if (isMissing(error)) return
		throw error
	}
	await Promise.all(
		entries.map(async (name) => {
			const path = join(dir, name)
			try {
				const info = await lstat(path)
				if (info.isSymbolicLink()) return
				if ((info.mode & SHARED) !== 0) await chmod(path, info.mode & 0o700)
				if (info.isDirectory()) await tightenTree(path)
			} catch (error) {
				if (!isMissing(error)) throw error
			}
		}),
	)
}
