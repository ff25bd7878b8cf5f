import { createPublicKey, type KeyObject } from 'node:crypto'
import { KeywardError } from './errors.js'

/** Where GitHub publishes the keys that sign its secret scanning reports. */
export const GITHUB_REPORT_KEYS_URL = 'https://api.github.com/meta/public_keys/secret_scanning'

/**
 * The public keys that sign leak reports: fetched from `url`, a document of the form
 * `{ "public_keys": [{ "key_identifier", "key" (PEM), "is_current" }] }` as GitHub serves it.
 * The URL is configuration, never taken from a request.
 */
export interface ReportKeysOptions {
	/** `https:` URL of the key document (`http:` only for a loopback host, in tests). @defaultValue GitHub's */
	url?: string | undefined
	/**
	 * Request headers, e.g. `{ authorization: 'Bearer <token>' }`: GitHub rate-limits anonymous
	 * calls to its API (60 an hour per address). @defaultValue none
	 */
	headers?: Readonly<Record<string, string>> | undefined
	/** A fetch (head and body) slower than this fails. @defaultValue 5000 */
	timeoutMs?: number | undefined
	/** Largest key document read; a larger one fails unread. @defaultValue 65536 */
	maxBytes?: number | undefined
	/** Keys are fetched again when the copy is older than this. @defaultValue 3600000 (an hour) */
	ttlMs?: number | undefined
	/**
	 * At most one fetch in this interval, whatever the reports ask for: a report naming a key id not
	 * in the copy triggers a fetch only when the last one is older than this, so forged ids cannot
	 * make keyward hammer the key server. @defaultValue 300000 (five minutes)
	 */
	minFetchIntervalMs?: number | undefined
	/** Clock in epoch milliseconds, for tests. @defaultValue Date.now */
	now?: (() => number) | undefined
}

/** Outcome of {@link ReportKeySet.find}. */
export type ReportKeyLookup =
	| { readonly ok: true; readonly key: KeyObject }
	/** `unknown`: no such key id, even in a fresh copy; `unavailable`: the keys could not be fetched. */
	| { readonly ok: false; readonly reason: 'unknown' | 'unavailable' }

/** A cached copy of the report-signing keys, from {@link createReportKeySet}. */
export interface ReportKeySet {
	/** The P-256 public key with this identifier. */
	find(keyId: string): Promise<ReportKeyLookup>
}

const MAX_KEYS = 100
const UNKNOWN: ReportKeyLookup = Object.freeze({ ok: false, reason: 'unknown' })
const UNAVAILABLE: ReportKeyLookup = Object.freeze({ ok: false, reason: 'unavailable' })
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

function fail(message: string): never {
	throw new KeywardError('invalid_option', message)
}

function positive(value: unknown, name: string, fallback: number): number {
	if (value === undefined) return fallback
	if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
		fail(`${name} must be a positive integer`)
	return value
}

/** The key URL, checked: https, or http to a loopback host; no credentials in it. */
function keyUrl(value: unknown): URL {
	let url: URL
	try {
		url = new URL(typeof value === 'string' ? value : '')
	} catch {
		return fail('publicKeys.url must be an absolute URL')
	}
	const local = url.protocol === 'http:' && LOOPBACK.has(url.hostname)
	if (url.protocol !== 'https:' && !local) fail('publicKeys.url must be https (http only to a loopback host)')
	if (url.username !== '' || url.password !== '') fail('publicKeys.url must not carry credentials')
	return url
}

/** The body of `response`, or `undefined` once it proves longer than `maxBytes` (the rest is not read). */
async function bodyWithin(response: Response, maxBytes: number): Promise<Uint8Array | undefined> {
	const declared = Number(response.headers.get('content-length') ?? Number.NaN)
	if (declared > maxBytes || response.body === null) {
		await response.body?.cancel()
		return declared > maxBytes ? undefined : new Uint8Array()
	}
	const parts: Uint8Array[] = []
	let total = 0
	for await (const part of response.body) {
		total += part.byteLength
		// Leaving the loop early cancels the stream, which aborts the download.
		if (total > maxBytes) return undefined
		parts.push(part)
	}
	return Buffer.concat(parts)
}

/** A P-256 public key from PEM text, or `undefined` for anything else. */
function p256Key(pem: unknown): KeyObject | undefined {
	if (typeof pem !== 'string' || pem.length > 4096) return undefined
	try {
		const key = createPublicKey(pem)
		return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
			? key
			: undefined
	} catch {
		return undefined
	}
}

/** The usable keys of a key document by id; `undefined` when the document is not one. */
function keysOf(document: unknown): Map<string, KeyObject> | undefined {
	const list = (document as { public_keys?: unknown } | null)?.public_keys
	if (!Array.isArray(list)) return undefined
	const keys = new Map<string, KeyObject>()
	for (const entry of list.slice(0, MAX_KEYS)) {
		const id = (entry as { key_identifier?: unknown } | null)?.key_identifier
		const key = p256Key((entry as { key?: unknown } | null)?.key)
		// Keys that are not current still sign reports in flight for a while: all listed keys count.
		if (typeof id === 'string' && id !== '' && key !== undefined) keys.set(id, key)
	}
	return keys
}

/**
 * Fetch and cache the keys that sign leak reports (GitHub's secret scanning, or a host serving
 * the same document). Fetches are bounded in size and time, shared by concurrent lookups, and at
 * most one per `minFetchIntervalMs`; a copy older than `ttlMs` is fetched again, and a failed
 * fetch fails closed (`unavailable`), never trusting a key it could not confirm. Options are
 * checked at once (`KeywardError('invalid_option')`).
 */
export function createReportKeySet(options: Readonly<ReportKeysOptions> = {}): ReportKeySet {
	const url = keyUrl(options.url ?? GITHUB_REPORT_KEYS_URL)
	const extra: unknown = options.headers ?? {}
	if (
		typeof extra !== 'object' ||
		extra === null ||
		!Object.values(extra).every((v) => typeof v === 'string')
	)
		fail('publicKeys.headers must map header names to strings')
	if (options.now !== undefined && typeof options.now !== 'function')
		fail('publicKeys.now must be a function')
	const headers = { accept: 'application/json', ...(extra as Record<string, string>) }
	const timeoutMs = positive(options.timeoutMs, 'publicKeys.timeoutMs', 5000)
	const maxBytes = positive(options.maxBytes, 'publicKeys.maxBytes', 65_536)
	const ttlMs = positive(options.ttlMs, 'publicKeys.ttlMs', 3_600_000)
	const minIntervalMs = positive(options.minFetchIntervalMs, 'publicKeys.minFetchIntervalMs', 300_000)
	const now = options.now ?? (() => Date.now())
	let keys: Map<string, KeyObject> | undefined
	let fetchedAt = Number.NEGATIVE_INFINITY
	let attemptedAt = Number.NEGATIVE_INFINITY
	let lastFetchFailed = false
	let inFlight: Promise<void> | undefined

	async function download(): Promise<void> {
		lastFetchFailed = true
		try {
			// Redirects are refused: the document comes from the configured URL or not at all.
			const response = await fetch(url, {
				headers,
				redirect: 'error',
				signal: AbortSignal.timeout(timeoutMs),
			})
			if (response.status !== 200) {
				await response.body?.cancel()
				return
			}
			const bytes = await bodyWithin(response, maxBytes)
			const fresh = bytes === undefined ? undefined : keysOf(JSON.parse(Buffer.from(bytes).toString('utf8')))
			if (fresh === undefined) return
			keys = fresh
			fetchedAt = now()
			lastFetchFailed = false
		} catch {
			// Unreachable, slow, refused or not JSON: the copy stays as it was, and callers see `unavailable`.
		}
	}

	/** Fetch now unless a fetch ran in the last `minIntervalMs`; concurrent callers share one. */
	function refresh(): Promise<void> {
		if (inFlight !== undefined) return inFlight
		if (now() - attemptedAt < minIntervalMs) return Promise.resolve()
		attemptedAt = now()
		inFlight = download().finally(() => {
			inFlight = undefined
		})
		return inFlight
	}

	return {
		async find(keyId) {
			if (keys === undefined || now() - fetchedAt >= ttlMs || !keys.has(keyId)) await refresh()
			if (keys === undefined || now() - fetchedAt >= ttlMs) return UNAVAILABLE
			const key = keys.get(keyId)
			if (key !== undefined) return { ok: true, key }
			// A key id the server may have just published, while it cannot be reached: try again later.
			return lastFetchFailed ? UNAVAILABLE : UNKNOWN
		},
	}
}
