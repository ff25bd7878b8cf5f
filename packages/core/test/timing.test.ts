import { createHash } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { CHECKSUM_LENGTH, parseKey, RANDOM_LENGTH, randomBase62 } from '../src/key-format.js'
import { createKeyward } from '../src/keyward.js'
import { MemoryStore } from '../src/memory-store.js'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** The key format's checksum (base62 CRC32 of everything before it), so guesses pass `parseKey`. */
function withChecksum(text: string): string {
	let n = crc32(text)
	let out = ''
	for (let i = 0; i < CHECKSUM_LENGTH; i++) {
		out = ALPHABET[n % 62] + out
		n = Math.floor(n / 62)
	}
	return text + out
}

/** A well-formed guess whose first `shared` random characters are the real key's, the rest different. */
function guess(key: string, shared: number): string {
	const body = key.slice(3, 3 + RANDOM_LENGTH)
	let rest = randomBase62(RANDOM_LENGTH - shared)
	// The first character after the shared part differs, so exactly `shared` characters match.
	while (rest[0] === body[shared]) rest = randomBase62(RANDOM_LENGTH - shared)
	const text = withChecksum(`kw_${body.slice(0, shared)}${rest}`)
	expect(parseKey(text)).not.toBeNull()
	return text
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b)
	return sorted[Math.floor(sorted.length / 2)] as number
}

const PER_BATCH = 200
const ROUNDS = 100

/**
 * Median time of verifying the `near` guesses over median time of the `far` ones, measured in
 * interleaved batches (alternating which goes first) so that load on the machine hits both alike.
 */
async function nearOverFar(
	verify: (text: string) => Promise<void>,
	far: string[],
	near: string[],
	rounds = ROUNDS,
) {
	const batch = async (guesses: string[]) => {
		const started = performance.now()
		for (const text of guesses) await verify(text)
		return performance.now() - started
	}
	for (let i = 0; i < 10; i++) await batch(i % 2 === 0 ? far : near) // warm up
	const times = { far: [] as number[], near: [] as number[] }
	for (let round = 0; round < rounds; round++) {
		const order = round % 2 === 0 ? (['far', 'near'] as const) : (['near', 'far'] as const)
		for (const which of order) times[which].push(await batch(which === 'far' ? far : near))
	}
	return median(times.near) / median(times.far)
}

describe('verification time', () => {
	let key: string
	let far: string[]
	let near: string[]
	const keyward = createKeyward({ store: new MemoryStore(), cache: false, lastUsed: false })

	beforeAll(async () => {
		key = (await keyward.createKey({ owner: 'acme' })).key
		far = Array.from({ length: PER_BATCH }, () => guess(key, 0))
		near = Array.from({ length: PER_BATCH }, () => guess(key, RANDOM_LENGTH - 1))
	})

	it('does not depend on how many leading characters of a guess are right', async () => {
		const ratio = await nearOverFar(
			async (text) => {
				const result = await keyward.verifyKey(text)
				if (result.ok || result.code !== 'invalid') throw new Error(`unexpected ${JSON.stringify(result)}`)
			},
			far,
			near,
		)
		expect(ratio).toBeGreaterThan(0.67)
		expect(ratio).toBeLessThan(1.5)
	})

	it('would notice a comparison that stops at the first wrong character (control)', async () => {
		const ratio = await nearOverFar(
			async (text) => {
				// About a microsecond of work per matching character, as an early-exit comparison leaks.
				for (let i = 0; i < text.length && text[i] === key[i]; i++) createHash('sha256').update(text).digest()
			},
			far,
			near,
			20,
		)
		expect(ratio).toBeGreaterThan(1.5)
	})
})
