import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterEach } from 'vitest'

/** A fresh temporary directory per call, removed after the test. */
export function useTempDirs(): () => Promise<string> {
	const dirs: string[] = []
	afterEach(async () => {
		await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
	})
	return async () => {
		const dir = await mkdtemp(join(tmpdir(), 'keyward-client-'))
		dirs.push(dir)
		return dir
	}
}

/** A stream that claims to be a terminal and records raw-mode switches. */
export class FakeTerminal extends PassThrough {
	readonly isTTY = true
	isRaw = false
	readonly rawModes: boolean[] = []

	setRawMode(mode: boolean): this {
		this.isRaw = mode
		this.rawModes.push(mode)
		return this
	}
}

/** Collects everything written to it. */
export function recorder(): { text: string; write(chunk: string): boolean } {
	return {
		text: '',
		write(chunk: string) {
			this.text += chunk
			return true
		},
	}
}

/** A well-formed key for tests (the client does not check keyward's format, only the characters). */
export const KEY = 'kw_4Vn9qTzR2bXw8LmP0sYc6HdJ1fKg3AeUoQ7i'
/** A second, different key. */
export const OTHER_KEY = 'kw_test_Zx8Cv7Bn6Mm5Ll4Kk3Jj2Hh1Gg0FfDdSsAaQq'
