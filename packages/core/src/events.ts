import type { SessionInfo } from './session-types.js'
import type { KeyInfo, OwnerInfo } from './types.js'
import type { RejectCode } from './wire.js'

/** Events keyward emits, for audit logs and metrics. None carries key text or hashes. */
export interface KeywardEvents {
	'key.created': { key: KeyInfo; at: Date }
	'key.revoked': { key: KeyInfo; at: Date }
	'key.deleted': { key: KeyInfo; at: Date }
	'key.rotated': { key: KeyInfo; previous: KeyInfo; at: Date }
	/** An owner's record was created or changed. */
	'owner.changed': { owner: OwnerInfo; at: Date }
	/** A key another system issued, stored by `importKey`; `format` is what it was recognised as. */
	'key.imported': { key: KeyInfo; format: string; at: Date }
	/** An inactive key deleted to keep its owner within `keepInactiveKeys`. */
	'key.purged': { key: KeyInfo; at: Date }
	/** A login with an API key started a session; `actor` and `source` as its audit entry records them. */
	'session.created': { session: SessionInfo; at: Date; actor: string | null; source: string | null }
	/** A session was ended by logout. */
	'session.ended': { session: SessionInfo; at: Date; actor: string | null; source: string | null }
	'request.verified': { key: KeyInfo; latencyMs: number }
	'request.rejected': {
		code: RejectCode
		status: number
		keyId: string | null
		latencyMs: number
		/** For `unavailable`: why, as the store or counter failed (its error, a timeout, a bad answer). */
		cause?: unknown
	}
	/**
	 * Something failed that a request does not report: a background task (lastUsedAt writes, usage
	 * history, a listener, the invalidation channel, closing), or the store or counter on the request
	 * path (`verify`: the request got 503; this says why).
	 */
	error: {
		error: unknown
		during: 'last_used' | 'listener' | 'invalidation' | 'close' | 'verify' | 'history'
		/**
		 * For `verify`, `history` and `last_used`, which are reported at most once per
		 * `errorIntervalMs` each: how many errors of the same kind went unreported since the previous
		 * event.
		 */
		suppressed?: number | undefined
	}
}

/** Name of a {@link KeywardEvents} event. */
export type KeywardEventName = keyof KeywardEvents

/** Listener of event `E`. */
export type KeywardListener<E extends KeywardEventName> = (event: KeywardEvents[E]) => void

/** Minimal typed emitter; listeners run synchronously and never break the caller. */
export class EventHub {
	readonly #listeners = new Map<KeywardEventName, Set<(event: never) => void>>()

	on<E extends KeywardEventName>(name: E, listener: KeywardListener<E>): () => void {
		let set = this.#listeners.get(name)
		if (set === undefined) {
			set = new Set()
			this.#listeners.set(name, set)
		}
		set.add(listener as (event: never) => void)
		return () => set.delete(listener as (event: never) => void)
	}

	has(name: KeywardEventName): boolean {
		const set = this.#listeners.get(name)
		return set !== undefined && set.size > 0
	}

	emit<E extends KeywardEventName>(name: E, event: KeywardEvents[E]): void {
		const set = this.#listeners.get(name)
		if (set === undefined) return
		for (const listener of set) {
			try {
				;(listener as KeywardListener<E>)(event)
			} catch (error) {
				// A failing listener must not fail a request; report it unless it is itself an error listener.
				if (name !== 'error') this.emit('error', { error, during: 'listener' })
			}
		}
	}
}
