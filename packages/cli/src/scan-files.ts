import { createReadStream } from 'node:fs'
import { lstat, readdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { type KeyHit, type KeyMatcher, scanStream } from './scan-text.js'

/** A key found in a file (or `-`, standard input). */
export interface Finding extends KeyHit {
	/** The path as given on the command line, joined with the names below it. */
	readonly path: string
}

/** Everything a scan saw. */
export interface ScanResult {
	readonly findings: readonly Finding[]
	/** Files (and standard input) read to the end. */
	readonly scanned: number
	/** Files skipped as binary. */
	readonly binary: number
	/** Paths that could not be read: the scan is incomplete. */
	readonly unreadable: readonly string[]
}

/** Where a scan reads from and how it reports what it skips. */
export interface ScanSource {
	/** Directory relative paths are resolved against. */
	readonly cwd: string
	/** Read for the path `-`. */
	readonly stdin: AsyncIterable<Buffer | string>
	/** One-line notice on standard error. */
	warn(text: string): void
}

/** Directories never entered: version control internals and installed dependencies. */
const SKIPPED = new Set(['.git', 'node_modules'])
const CHUNK_BYTES = 64 * 1024

function reason(error: unknown): string {
	const code = (error as { code?: unknown } | null)?.code
	if (code === 'ENOENT') return 'no such file or directory'
	if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
	return error instanceof Error ? (error.message.split('\n')[0] ?? 'error') : String(error)
}

/**
 * Find keys in `paths` (files, directories walked in name order, `-` for standard input). `.git`
 * and `node_modules` are not entered, symbolic links are not followed, special files and binary
 * files (a NUL byte in the first 8 KiB) are skipped, and files are read in 64 KiB pieces.
 */
export async function scanPaths(
	paths: readonly string[],
	matcher: KeyMatcher,
	source: ScanSource,
): Promise<ScanResult> {
	const findings: Finding[] = []
	const unreadable: string[] = []
	let scanned = 0
	let binary = 0
	const cannotRead = (path: string, error: unknown) => {
		source.warn(`cannot read ${path}: ${reason(error)}`)
		unreadable.push(path)
	}

	async function scan(path: string, read: () => AsyncIterable<Buffer | string>): Promise<void> {
		let hits: Awaited<ReturnType<typeof scanStream>>
		try {
			hits = await scanStream(read(), matcher)
		} catch (error) {
			return cannotRead(path, error)
		}
		if (hits === 'binary') binary++
		else {
			scanned++
			for (const hit of hits) findings.push({ ...hit, path })
		}
	}

	async function visit(path: string, absolute: string, named: boolean): Promise<void> {
		let info: Awaited<ReturnType<typeof lstat>>
		try {
			info = await lstat(absolute)
		} catch (error) {
			return cannotRead(path, error)
		}
		if (info.isSymbolicLink()) {
			if (named) source.warn(`skipped ${path}: a symbolic link is not followed`)
			return
		}
		if (info.isDirectory()) {
			let names: string[]
			try {
				names = await readdir(absolute)
			} catch (error) {
				return cannotRead(path, error)
			}
			for (const name of names.sort()) {
				if (!SKIPPED.has(name)) await visit(join(path, name), join(absolute, name), false)
			}
			return
		}
		if (!info.isFile()) {
			if (named) source.warn(`skipped ${path}: not a regular file`)
			return
		}
		await scan(path, () => createReadStream(absolute, { highWaterMark: CHUNK_BYTES }))
	}

	for (const path of paths) {
		if (path === '-') await scan('-', () => source.stdin)
		else await visit(path, resolve(source.cwd, path), true)
	}
	return { findings, scanned, binary, unreadable }
}
