import { setTimeout as delay } from 'node:timers/promises'
import { API_KEY_SCHEME } from '@keyward/core/wire'
import { toApiError } from './api-errors.js'
import { KeywardClientError } from './errors.js'
import { checkOptionNames, pickOptions } from './option-names.js'
import { parseRateLimit, type QuotaInfo } from './rate-limit.js'
import { type ResolveApiKeyOptions, type ResolvedApiKey, resolveApiKey } from './resolve-api-key.js'
import { backoffDelay, parseRetryAfter, type RetryOptions, resolveRetryOptions } from './retry.js'

/** Options of {@link createClient}: where the API is, how to send the key, and where to find it. */
export interface ClientOptions extends ResolveApiKeyOptions {
	/** Root of the API; request paths are appended to it. */
	baseUrl: string | URL
	/** Header that carries the key. @defaultValue 'Authorization' */
	header?: string | undefined
	/** Scheme in front of the key when `header` is `Authorization`. @defaultValue 'Apikey' */
	scheme?: string | undefined
	/** Headers sent with every request (the key header is set last and wins). */
	headers?: ConstructorParameters<typeof Headers>[0] | undefined
	/** Retrying a 503 (never a 4xx, not even a 429), or `false` for never. @defaultValue `{ retries: 2, minDelayMs: 500, maxDelayMs: 30_000 }` */
	retry?: RetryOptions | false | undefined
	/** Redirects followed before the 3xx answer is returned as is; a non-negative integer. @defaultValue 5 */
	maxRedirects?: number | undefined
	/** The fetch implementation. @defaultValue globalThis.fetch */
	fetch?: typeof globalThis.fetch | undefined
	/** Waits between retries; gets the request's signal. @defaultValue a timer */
	sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined
	/** Clock for quota and `Retry-After` arithmetic. @defaultValue Date.now */
	now?: (() => number) | undefined
	/** Source of jitter, in [0, 1). @defaultValue Math.random */
	random?: (() => number) | undefined
}

/** `RequestInit` whose `body` may be any JSON value (sent with `content-type: application/json`). */
export interface JsonRequestInit extends Omit<RequestInit, 'body'> {
	body?: unknown
}

/** A fetch wrapper bound to one API and one key. Create it with {@link createClient}. */
export interface KeywardClient {
	/** The API root requests are resolved against. */
	readonly baseUrl: URL
	/** Quota from the RateLimit headers of the latest answer that had them. */
	readonly quota: QuotaInfo | undefined
	/**
	 * Sends a request with the key and returns the answer when its status is below 400; otherwise
	 * throws the matching {@link KeywardApiError}. A 503 is retried as configured; a 4xx never is
	 * (a `429 too_many_failures` would only come back, see {@link TooManyFailuresError}).
	 */
	fetch(path: string, init?: RequestInit): Promise<Response>
	/** {@link KeywardClient.fetch} with a JSON body in and parsed JSON out (`undefined` for 204). */
	json<T = unknown>(path: string, init?: JsonRequestInit): Promise<T>
	/** Resolves the key once (see {@link resolveApiKey}) and tells where it came from. */
	resolveKey(): Promise<ResolvedApiKey>
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const REDIRECTS = new Set([301, 302, 303, 307, 308])

/** Frees the connection of an answer that will not be read; not awaited, as a tee'd body cancels only when both branches do. */
function discard(response: Response): void {
	response.body?.cancel().catch(() => undefined)
}

function isReplayable(body: RequestInit['body']): boolean {
	return !(typeof body === 'object' && body !== null && 'getReader' in body)
}

/**
 * Creates a client for a keyward-protected API. The key is looked up on first use with
 * {@link resolveApiKey} (argument, environment variable, credentials file, prompt) and sent as
 * `Authorization: Apikey <key>` (or in `header`). It is only ever sent to `baseUrl`'s origin:
 * redirects elsewhere are followed without it.
 *
 * @example
 * const api = createClient({ baseUrl: 'https://api.example.com', envVar: 'EXAMPLE_API_KEY', appName: 'example' })
 * const hello = await api.json<{ message: string }>('/api/hello')
 * console.log(api.quota?.remaining)
 */
export function createClient(options: Readonly<ClientOptions>): KeywardClient {
	if (typeof options !== 'object' || options === null) {
		throw new KeywardClientError('invalid_option', 'createClient expects an options object with a baseUrl')
	}
	checkOptionNames(options, 'createClient')
	const lookup = pickOptions(options, 'resolveApiKey')
	let baseUrl: URL
	try {
		baseUrl = new URL(options.baseUrl)
	} catch (error) {
		throw new KeywardClientError('invalid_option', 'baseUrl must be an absolute URL', { cause: error })
	}
	if (baseUrl.protocol !== 'http:' && baseUrl.protocol !== 'https:') {
		throw new KeywardClientError('invalid_option', 'baseUrl must be an http: or https: URL')
	}
	const header = options.header ?? 'Authorization'
	const scheme = options.scheme ?? API_KEY_SCHEME
	if (!TOKEN.test(header) || !TOKEN.test(scheme)) {
		throw new KeywardClientError('invalid_option', 'header and scheme must be HTTP tokens')
	}
	const bearsScheme = header.toLowerCase() === 'authorization'
	const retry = resolveRetryOptions(options.retry)
	const maxRedirects = options.maxRedirects ?? 5
	if (!Number.isSafeInteger(maxRedirects) || maxRedirects < 0) {
		throw new KeywardClientError('invalid_option', 'maxRedirects must be a non-negative integer')
	}
	const fetchImpl = options.fetch ?? globalThis.fetch
	const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal }))
	const now = options.now ?? Date.now
	const random = options.random ?? Math.random
	let quota: QuotaInfo | undefined
	let pendingKey: Promise<ResolvedApiKey> | undefined

	function resolveKey(): Promise<ResolvedApiKey> {
		if (pendingKey === undefined) {
			pendingKey = resolveApiKey(lookup)
			// A failed lookup is not remembered: the user may fix the environment and try again.
			pendingKey.catch(() => {
				pendingKey = undefined
			})
		}
		return pendingKey
	}

	function urlOf(path: string): URL {
		if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('//')) {
			const url = new URL(path)
			if (url.origin !== baseUrl.origin) {
				throw new KeywardClientError('invalid_argument', `Refusing to send the API key to ${url.origin}`)
			}
			return url
		}
		const url = new URL(baseUrl)
		const [pathname = '', query] = path.split(/\?(.*)/s)
		url.pathname = `${url.pathname.replace(/\/+$/, '')}/${pathname.replace(/^\/+/, '')}`
		url.search = query === undefined ? '' : `?${query}`
		return url
	}

	/** One attempt, following redirects by hand so the key never leaves the API's origin. */
	async function send(url: URL, init: RequestInit, headers: Headers): Promise<Response> {
		if (init.redirect !== undefined) return fetchImpl(url, { ...init, headers })
		let current = url
		let request: RequestInit = { ...init, headers, redirect: 'manual' }
		for (let hop = 0; ; hop++) {
			const response = await fetchImpl(current, request)
			const location = response.headers.get('Location')
			if (!REDIRECTS.has(response.status) || location === null || hop >= maxRedirects) return response
			discard(response)
			const next = new URL(location, current)
			const method = (request.method ?? 'GET').toUpperCase()
			const toGet =
				(response.status === 303 && method !== 'HEAD') ||
				((response.status === 301 || response.status === 302) && method === 'POST')
			const nextHeaders = new Headers(request.headers)
			if (next.origin !== current.origin) nextHeaders.delete(header)
			if (toGet) {
				nextHeaders.delete('content-type')
				nextHeaders.delete('content-length')
			}
			request = toGet
				? { ...request, method: 'GET', body: null, headers: nextHeaders }
				: { ...request, headers: nextHeaders }
			current = next
		}
	}

	async function clientFetch(path: string, init: RequestInit = {}): Promise<Response> {
		const url = urlOf(path)
		const { apiKey } = await resolveKey()
		const headers = new Headers(options.headers)
		for (const [name, value] of new Headers(init.headers)) headers.set(name, value)
		headers.set(header, bearsScheme ? `${scheme} ${apiKey}` : apiKey)
		const attempts = isReplayable(init.body) ? retry.retries + 1 : 1
		for (let attempt = 1; ; attempt++) {
			const response = await send(url, init, headers)
			const seen = parseRateLimit(response.headers, now())
			if (seen !== undefined) quota = seen
			if (response.status < 400) return response
			if (response.status === 503 && attempt < attempts) {
				const backoff = backoffDelay(attempt - 1, retry, random)
				const asked = parseRetryAfter(response.headers.get('Retry-After'), now())
				if (asked === undefined || asked <= retry.maxDelayMs) {
					discard(response)
					await sleep(Math.max(backoff, asked ?? 0), init.signal ?? undefined)
					continue
				}
			}
			throw await toApiError(response, apiKey, now())
		}
	}

	async function json<T>(path: string, init: JsonRequestInit = {}): Promise<T> {
		const { body, ...rest } = init
		const headers = new Headers(rest.headers)
		if (!headers.has('accept')) headers.set('accept', 'application/json')
		const request: RequestInit = { ...rest, headers }
		if (body !== undefined) {
			if (!headers.has('content-type')) headers.set('content-type', 'application/json')
			request.body = JSON.stringify(body)
		}
		const response = await clientFetch(path, request)
		if (response.status === 204 || response.status === 205) return undefined as T
		return (await response.json()) as T
	}

	return {
		baseUrl,
		get quota() {
			return quota
		},
		fetch: clientFetch,
		json,
		resolveKey,
	}
}
