import { appendFile } from 'node:fs/promises'
import { currentAuditStamp } from './audit-context.js'
import { KeywardError } from './errors.js'
import type { KeywardEvents } from './events.js'
import type { Keyward } from './keyward.js'
import { rejectUnknownOptions } from './options.js'
import type { AuditAction, AuditEntry } from './store-types.js'
import type { KeyInfo } from './types.js'

/** Every {@link AuditAction} of keys and sessions, in lifecycle order (`owner.changed` aside). */
export const AUDIT_ACTIONS: readonly AuditAction[] = Object.freeze([
	'key.created',
	'key.revoked',
	'key.deleted',
	'key.rotated',
	'key.purged',
	'session.created',
	'session.ended',
	'key.imported',
])

/** Where audit entries go: a file, a table, a log pipeline. */
export interface AuditSink {
	/** Record one entry. A rejection is reported to `onError` of {@link attachAuditSink}. */
	write(entry: AuditEntry): void | Promise<void>
}

/** Options of {@link attachAuditSink}. */
export interface AttachAuditSinkOptions {
	/** Actor recorded when no {@link withAuditContext} names one. @defaultValue null */
	actor?: string | null | undefined
	/** Source recorded when no {@link withAuditContext} names one. @defaultValue null */
	source?: string | null | undefined
	/**
	 * Receives entries the sink failed to write. The management call that caused the entry has
	 * already succeeded by then and is not undone. @defaultValue a process warning
	 */
	onError?: ((error: unknown, entry: AuditEntry) => void) | undefined
}

/** A sink attached to a keyward, from {@link attachAuditSink}. */
export interface AuditSubscription {
	/** Resolves once every entry produced so far has been written (or reported as failed). */
	flush(): Promise<void>
	/** Stop recording; entries already produced are still written. */
	detach(): void
}

/**
 * Record keyward's key events (`key.created`, `key.revoked`, `key.deleted`, `key.rotated`,
 * `key.purged`, `key.imported`) and session events (`session.created`, an API-key login, and
 * `session.ended`) in `sink`, in order. A key entry's actor and source come from the surrounding
 * {@link withAuditContext}, else from `options`; a session entry's are those of the login or
 * logout (the user name or owner, and the client address).
 * @param keyward - the keyward whose events are recorded
 * @param sink - where entries go, e.g. {@link createJsonLinesAuditSink} or `PostgresAuditLog`
 * @example
 * const audit = attachAuditSink(keyward, createJsonLinesAuditSink('audit.jsonl'))
 * await keyward.revokeKey(id)
 * await audit.flush()
 */
export function attachAuditSink(
	keyward: Keyward,
	sink: AuditSink,
	options: Readonly<AttachAuditSinkOptions> = {},
): AuditSubscription {
	if (typeof keyward?.on !== 'function') {
		throw new KeywardError('invalid_argument', 'attachAuditSink expects a keyward from createKeyward()')
	}
	if (typeof sink?.write !== 'function') {
		throw new KeywardError('invalid_argument', 'attachAuditSink expects a sink with a write(entry) method')
	}
	rejectUnknownOptions(options, ['actor', 'source', 'onError'], 'attachAuditSink options')
	const fallback = { actor: options.actor, source: options.source }
	const onError =
		options.onError ??
		((error: unknown) =>
			process.emitWarning(`keyward audit entry not written: ${(error as Error)?.message ?? String(error)}`))
	// One chain per subscription keeps entries in the order the events happened.
	let tail: Promise<void> = Promise.resolve()

	function record(action: AuditAction, key: KeyInfo, at: Date, previous?: KeyInfo): void {
		const { actor, source } = currentAuditStamp(fallback)
		write(
			Object.freeze({
				at,
				action,
				keyId: key.id,
				owner: key.owner,
				actor,
				source,
				previousKeyId: previous?.id ?? null,
			}),
		)
	}

	function recordSession(action: AuditAction, event: KeywardEvents['session.created']): void {
		const { session, at, actor, source } = event
		write(
			Object.freeze({
				at,
				action,
				keyId: session.keyId,
				owner: session.owner,
				actor,
				source,
				previousKeyId: null,
			}),
		)
	}

	function write(entry: AuditEntry): void {
		tail = tail
			.then(() => sink.write(entry))
			.catch((error: unknown) => {
				try {
					onError(error, entry)
				} catch {
					// A failing error handler must not break the chain for later entries.
				}
			})
	}

	const off = [
		keyward.on('key.created', ({ key, at }) => record('key.created', key, at)),
		keyward.on('key.revoked', ({ key, at }) => record('key.revoked', key, at)),
		keyward.on('key.deleted', ({ key, at }) => record('key.deleted', key, at)),
		keyward.on('key.rotated', ({ key, previous, at }) => record('key.rotated', key, at, previous)),
		keyward.on('key.purged', ({ key, at }) => record('key.purged', key, at)),
		keyward.on('key.imported', ({ key, at }) => record('key.imported', key, at)),
		keyward.on('session.created', (event) => recordSession('session.created', event)),
		keyward.on('session.ended', (event) => recordSession('session.ended', event)),
	]
	return {
		flush: () => tail,
		detach() {
			for (const unsubscribe of off.splice(0)) unsubscribe()
		},
	}
}

/** A writable stream as far as the JSON-lines sink needs one (`process.stdout`, `fs.createWriteStream`). */
export interface LineWritable {
	write(chunk: string, callback: (error?: Error | null) => void): boolean
}

/** One entry as a JSON line: ISO timestamps, every field present. */
function auditEntryToJson(entry: AuditEntry): string {
	return `${JSON.stringify({
		at: entry.at.toISOString(),
		action: entry.action,
		keyId: entry.keyId,
		owner: entry.owner,
		actor: entry.actor,
		source: entry.source,
		previousKeyId: entry.previousKeyId,
	})}\n`
}

/**
 * An {@link AuditSink} writing one JSON object per line, to a file (appended, created with mode
 * 0600; each entry is a single append, so processes sharing the file do not interleave lines) or
 * to a stream the caller owns.
 * @example
 * attachAuditSink(keyward, createJsonLinesAuditSink('/var/log/keyward/audit.jsonl'))
 */
export function createJsonLinesAuditSink(target: string | LineWritable): AuditSink {
	if (typeof target === 'string') {
		if (target.length === 0) throw new KeywardError('invalid_argument', 'The audit file path is empty')
		return {
			write: (entry) => appendFile(target, auditEntryToJson(entry), { mode: 0o600 }),
		}
	}
	if (typeof target?.write !== 'function') {
		throw new KeywardError('invalid_argument', 'createJsonLinesAuditSink expects a path or a writable stream')
	}
	return {
		write: (entry) =>
			new Promise<void>((resolve, reject) => {
				target.write(auditEntryToJson(entry), (error) => (error ? reject(error) : resolve()))
			}),
	}
}
