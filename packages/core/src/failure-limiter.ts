import { LRUCache } from 'lru-cache'
import type { RejectCode } from './wire.js'

/** Throttling of clients that keep presenting bad keys. */
export interface FailureLimitOptions {
	/** Failed attempts a client may make per window before it is refused outright. @defaultValue 20 */
	max?: number | undefined
	/** Length of the counting window. @defaultValue 60000 */
	windowMs?: number | undefined
	/** Most clients remembered (least recently seen are forgotten first). @defaultValue 10000 */
	maxClients?: number | undefined
}

/** Per-client failure counter; clients are whatever the adapter identifies them by (the IP address). */
export interface FailureLimiter {
	/** Milliseconds until `client` may try again, or 0 when it is not blocked. */
	blockedFor(client: string, nowMs: number): number
	/** Count the outcome of one attempt. */
	record(client: string, code: RejectCode | null, nowMs: number): void
}

/** Codes that mean "this client presented a key that does not work": what guessing produces. */
const COUNTED = new Set<RejectCode>([
	'malformed',
	'invalid',
	'revoked',
	'expired',
	'wrong_environment',
	'ambiguous',
	'invalid_session',
])

interface Window {
	count: number
	resetAt: number
}

/**
 * A fixed-window counter per client. It is keyed on the client, never on the key or its public id,
 * so nobody can lock another caller out by presenting their key id.
 */
export function createFailureLimiter(options: Readonly<FailureLimitOptions>): FailureLimiter {
	const max = options.max ?? 20
	const windowMs = options.windowMs ?? 60_000
	const windows = new LRUCache<string, Window>({ max: options.maxClients ?? 10_000 })
	return {
		blockedFor(client, nowMs) {
			const w = windows.get(client)
			if (w === undefined || nowMs >= w.resetAt || w.count < max) return 0
			return w.resetAt - nowMs
		},
		record(client, code, nowMs) {
			if (code === null || !COUNTED.has(code)) return
			const w = windows.get(client)
			if (w === undefined || nowMs >= w.resetAt) windows.set(client, { count: 1, resetAt: nowMs + windowMs })
			else w.count++
		},
	}
}
