import { currentAuditStamp } from './audit-context.js'
import { KeywardError } from './errors.js'
import type { EventHub } from './events.js'
import type { KeyHasher } from './hash.js'
import { generateId, keyEnvironment } from './key-format.js'
import { checkGivenHint, keywardKeyHint } from './key-hint.js'
import type { LegacyFormats } from './legacy-format.js'
import type { CreateKeyInput } from './lifecycle-types.js'
import type { LifetimePolicy } from './lifetime.js'
import { newKeyFields, toInfo } from './records.js'
import type { StoreBoundary } from './store-boundary.js'
import type { KeyStore } from './store-types.js'
import type { KeyInfo, KeyRecord } from './types.js'

/**
 * Input of `keyward.importKey`: the key as another system issued it (`key`), or only its SHA-256
 * (`sha256`, with an optional `hint`), and the fields of `createKey`.
 */
export interface ImportKeyInput extends CreateKeyInput {
	/**
	 * The key's text: a keyward key of this keyward's prefix and environment, or a key of one of its
	 * `legacyFormats`. It is hashed as keyward hashes its own keys (with the pepper, if any) and its
	 * hint is taken from it. Exclusive with `sha256`.
	 */
	key?: string | undefined
	/**
	 * The hex SHA-256 of the key's text (64 characters, as `sha256sum` prints it), for keys whose
	 * text is gone. Stored as given; a keyward with a pepper looks keys of its `legacyFormats` up
	 * under their plain SHA-256 too, so such a key verifies once its format is configured.
	 * Exclusive with `key`.
	 */
	sha256?: string | undefined
	/**
	 * With `sha256` only: the key's first characters as the other system showed them (1-16 letters,
	 * digits or `_ . ~ + / = -`), so its holder can tell the key apart. @defaultValue none
	 */
	hint?: string | null | undefined
}

/** Options of `keyward.importKey`. */
export interface ImportKeyOptions {
	/**
	 * Check everything (the input, the key's format, whether it is already stored) and answer what
	 * would be stored, without storing it: no record, no audit entry, no event. @defaultValue false
	 */
	dryRun?: boolean | undefined
}

/** Result of `keyward.importKey`. */
export interface ImportedKey {
	info: KeyInfo
	/** What the key was recognised as: `'keyward'`, the name of a legacy format, or `'sha256'`. */
	format: string
}

/** What the importer needs from the keyward that wires it. */
export interface ImporterDeps {
	readonly store: KeyStore
	readonly boundary: StoreBoundary
	readonly hasher: KeyHasher
	readonly prefix: string
	readonly environment: string | null
	readonly legacy: LegacyFormats | undefined
	readonly lifetime: Readonly<LifetimePolicy>
	readonly events: EventHub
	readonly now: () => number
	/** A new record exists: forget whatever this instance remembers about its hash. */
	imported(record: KeyRecord): void
}

const SHA256_HEX = /^[0-9a-fA-F]{64}$/
const invalid = (message: string) => new KeywardError('invalid_argument', message)
const duplicate = () => new KeywardError('duplicate_key', 'This key is already stored')

/** How an input's key is stored: its hash, hint, format, and every hash it may already be stored under. */
interface Identified {
	hash: string
	hint: string | null
	format: string
	storedUnder: readonly string[]
}

/** Recognise the key of `input`; throws `invalid_argument` with a fixed message that never holds the key. */
function identify(input: Readonly<ImportKeyInput>, deps: ImporterDeps): Identified {
	const { key, sha256 } = input
	if ((key === undefined) === (sha256 === undefined)) throw invalid('Give either key or sha256')
	if (sha256 !== undefined) {
		if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
			throw invalid('sha256 must be 64 hexadecimal characters')
		}
		const hash = sha256.toLowerCase()
		return { hash, hint: checkGivenHint(input.hint), format: 'sha256', storedUnder: [hash] }
	}
	if (typeof key !== 'string') throw invalid('key must be a string')
	if (input.hint !== undefined) throw invalid('The hint of a key given as text is taken from the key')
	const { hasher } = deps
	const environment = keyEnvironment(key, deps.prefix)
	if (environment !== false) {
		if (environment !== deps.environment) throw invalid('The key belongs to another environment')
		return {
			hash: hasher.hash(key),
			hint: keywardKeyHint(key),
			format: 'keyward',
			storedUnder: hasher.candidates(key),
		}
	}
	const format = deps.legacy?.match(key)
	if (format === undefined || deps.legacy === undefined) {
		throw invalid('The key matches neither the keyward format nor a configured legacy format')
	}
	return {
		hash: hasher.hash(key),
		hint: deps.legacy.hint(key, format),
		format: format.name,
		storedUnder: hasher.candidatesWithPlain(key),
	}
}

/**
 * `keyward.importKey`: store a key another system issued, so that it keeps working without being
 * reissued. The store records it with a `key.imported` audit entry.
 */
export function createKeyImporter(
	deps: ImporterDeps,
): (input: Readonly<ImportKeyInput>, options?: Readonly<ImportKeyOptions>) => Promise<ImportedKey> {
	const { store, boundary, events, now } = deps
	const call = boundary.call

	return async function importKey(input, options = {}) {
		if (typeof input !== 'object' || input === null) throw invalid('importKey expects an object')
		if (typeof options !== 'object' || options === null) throw invalid('importKey options must be an object')
		const nowMs = now()
		const fields = newKeyFields(input, deps.lifetime, nowMs)
		const at = fields.createdAt
		const { hash, hint, format, storedUnder } = identify(input, deps)
		// The store refuses the same hash; this also finds the key under an older pepper, or as a
		// hash import of its plain SHA-256.
		for (const candidate of storedUnder) {
			if ((await call(() => store.findByHash(candidate))) !== null) throw duplicate()
		}
		const audit = currentAuditStamp()
		for (let attempt = 0; ; attempt++) {
			const id = generateId()
			const record: KeyRecord = { ...fields, id, hash, familyId: id, replacedBy: null, hint }
			if (options.dryRun === true) return { info: toInfo(record), format }
			try {
				await call(() => store.create(record, { audit, action: 'key.imported' }))
			} catch (error) {
				if (!(error instanceof KeywardError) || error.code !== 'duplicate_key') throw error
				// Either an import of the same key got there first, or (astronomically rarely) the id collided.
				if (attempt > 0 || (await call(() => store.findByHash(hash))) !== null) throw duplicate()
				continue
			}
			deps.imported(record)
			const info = toInfo(record)
			events.emit('key.imported', { key: info, format, at })
			return { info, format }
		}
	}
}
