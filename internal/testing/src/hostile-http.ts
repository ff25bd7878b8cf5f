import { IncomingMessage, type RequestListener, ServerResponse } from 'node:http'
import { connect, type Socket } from 'node:net'
import { Duplex } from 'node:stream'
import fc from 'fast-check'

/** An HTTP/1.1 response as bytes and as the tests look at it. */
export interface HttpAnswer {
	status: number
	/** Lowercase names; repeated headers joined with `, `. */
	headers: Record<string, string>
	/** The body, de-chunked, as UTF-8 text. */
	body: string
	/** Everything the server sent, as Latin-1 text: what a leak check must search. */
	raw: string
}

/** A request as the fuzz model describes it: what Node's parser would hand to the app. */
export interface PlainRequest {
	method: string
	/** The request target, printable ASCII. */
	url: string
	/** Names and values in order, as `IncomingMessage.rawHeaders` lists them (values in Latin-1). */
	rawHeaders: string[]
}

/** Parse a complete HTTP/1.1 response (`Content-Length`, chunked, or read to the end). */
export function parseAnswer(bytes: Buffer): HttpAnswer {
	const raw = bytes.toString('latin1')
	const split = raw.indexOf('\r\n\r\n')
	if (split === -1) throw new Error(`incomplete HTTP response: ${JSON.stringify(raw.slice(0, 200))}`)
	const [statusLine = '', ...lines] = raw.slice(0, split).split('\r\n')
	const headers: Record<string, string> = {}
	for (const line of lines) {
		const colon = line.indexOf(':')
		const name = line.slice(0, colon).toLowerCase()
		const value = line.slice(colon + 1).trim()
		headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
	}
	let body = bytes.subarray(split + 4)
	if (headers['transfer-encoding'] === 'chunked') {
		const parts: Buffer[] = []
		let at = 0
		for (;;) {
			const eol = body.indexOf('\r\n', at)
			const size = Number.parseInt(body.subarray(at, eol).toString('latin1'), 16)
			if (!(size > 0)) break
			parts.push(body.subarray(eol + 2, eol + 2 + size))
			at = eol + 2 + size + 2
		}
		body = Buffer.concat(parts)
	} else if (headers['content-length'] !== undefined) {
		body = body.subarray(0, Number(headers['content-length']))
	}
	return { status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8'), raw }
}

/**
 * Hand-written request bytes. Header lines are sent exactly as given (strings as Latin-1), so
 * tests can produce what no HTTP client would: repeated or folded headers, control characters.
 */
export function requestBytes(
	target: string,
	headerLines: readonly (string | Buffer)[] = [],
	method = 'GET',
): Buffer {
	const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...headerLines]
	return Buffer.concat([
		...lines.map((line) =>
			Buffer.concat([typeof line === 'string' ? Buffer.from(line, 'latin1') : line, Buffer.from('\r\n')]),
		),
		Buffer.from('\r\n'),
	])
}

/** Options of {@link sendHttp}. */
export interface SendHttpOptions {
	/** Fail when the server has not answered and closed by then. @defaultValue 2000 */
	timeoutMs?: number | undefined
	/** Local address to connect from (any of 127.0.0.0/8), to appear as another client. */
	localAddress?: string | undefined
}

/**
 * Send `bytes` over a new TCP connection to 127.0.0.1:`port` and read until the server closes it.
 * Rejects when that takes longer than `timeoutMs`: a hang fails the test instead of stalling it.
 */
export function sendHttp(
	port: number,
	bytes: Buffer | string,
	options: SendHttpOptions = {},
): Promise<HttpAnswer> {
	const timeoutMs = options.timeoutMs ?? 2000
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = []
		const socket = connect({ port, host: '127.0.0.1', localAddress: options.localAddress }, () =>
			socket.end(bytes),
		)
		socket.setTimeout(timeoutMs, () => {
			socket.destroy()
			reject(new Error(`no complete answer within ${timeoutMs} ms`))
		})
		socket.on('data', (chunk: Buffer) => chunks.push(chunk))
		// A server refusing a request early may reset the connection after answering.
		socket.on('error', (error) => {
			if (chunks.length === 0) reject(error)
		})
		socket.on('close', () => {
			if (chunks.length === 0) reject(new Error('connection closed without an answer'))
			else {
				try {
					resolve(parseAnswer(Buffer.concat(chunks)))
				} catch (error) {
					reject(error)
				}
			}
		})
	})
}

/** A socket that records what the response writes and reads nothing. */
class CaptureSocket extends Duplex {
	readonly written: Buffer[] = []
	readonly remotePort = 40000
	readonly remoteFamily = 'IPv4'
	readonly remoteAddress: string
	constructor(remoteAddress: string) {
		super()
		this.remoteAddress = remoteAddress
	}
	override _read(): void {}
	override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
		this.written.push(chunk)
		callback()
	}
	setTimeout(): this {
		return this
	}
	setNoDelay(): this {
		return this
	}
	setKeepAlive(): this {
		return this
	}
}

interface HeaderLines {
	_addHeaderLines(headers: string[], n: number): void
}

const OWS = /^[ \t]+|[ \t]+$/g

/**
 * Run `listener` on `request` in-process, without sockets or a parser: Node's own
 * `IncomingMessage` (which folds repeated headers as a server would) and `ServerResponse`, whose
 * serialised bytes are parsed back. Values are trimmed of spaces and tabs as Node's parser trims them.
 */
export function inject(
	listener: RequestListener,
	request: PlainRequest,
	remoteAddress = '127.0.0.1',
): Promise<HttpAnswer> {
	const socket = new CaptureSocket(remoteAddress)
	const req = new IncomingMessage(socket as unknown as Socket)
	req.method = request.method
	req.url = request.url
	req.httpVersion = '1.1'
	req.httpVersionMajor = 1
	req.httpVersionMinor = 1
	const raw = request.rawHeaders.map((part, i) => (i % 2 === 1 ? part.replace(OWS, '') : part))
	;(req as unknown as HeaderLines)._addHeaderLines(raw, raw.length)
	req.push(null)
	req.complete = true
	const res = new ServerResponse(req)
	res.assignSocket(socket as unknown as Socket)
	return new Promise((resolve, reject) => {
		res.on('finish', () => {
			try {
				resolve(parseAnswer(Buffer.concat(socket.written)))
			} catch (error) {
				reject(error)
			}
		})
		listener(req, res)
	})
}

/** Serialise a {@link PlainRequest} for a socket (adding `Connection: close`). */
export function plainRequestBytes(request: PlainRequest): Buffer {
	const lines: string[] = []
	for (let i = 0; i < request.rawHeaders.length; i += 2) {
		lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`)
	}
	const head = [`${request.method} ${request.url} HTTP/1.1`, ...lines, 'Connection: close', '', '']
	return Buffer.from(head.join('\r\n'), 'latin1')
}

/* ------------------------------------------------------------------ fuzz model */

/** The keys a fuzzed app knows, and well-formed strings it does not accept. */
export interface Keyring {
	/** Valid keys and the id each authenticates as. */
	valid: ReadonlyMap<string, string>
	revoked: readonly string[]
	/** Well-formed keys nobody issued. */
	unknown: readonly string[]
	/** Public ids of the keys (never enough to authenticate). */
	ids: readonly string[]
	/** Whether a string has the key format (prefix, alphabet, checksum): `parseKey(s) !== null`. */
	wellFormed(text: string): boolean
	/** Matches key-shaped text (`keyPattern()`, without the `g` flag), which no response may contain. */
	pattern: RegExp
	/** Default detail of every refusal code (`REJECTIONS`). */
	details: Readonly<Record<string, { detail: string }>>
}

/** What the contract says a request gets: the key it authenticates as, or the refusal code. */
export type Expected =
	| { status: 200; id: string | null }
	| { status: 401; code: 'missing' | 'malformed' | 'invalid' | 'revoked' | 'ambiguous' }

type Found = 'ambiguous' | { bad: true } | { key: string } | undefined

const MAX_CREDENTIAL = 1024
const trimOws = (text: string) => text.replace(OWS, '')

function credential(text: string | null): Found {
	if (text === null) return { bad: true }
	const value = trimOws(text)
	return value === '' || value.length > MAX_CREDENTIAL ? { bad: true } : { key: value }
}

function decodeForm(text: string): string | null {
	try {
		return decodeURIComponent(text.replace(/\+/g, ' '))
	} catch {
		return null
	}
}

function headerValues(request: PlainRequest, name: string): string[] {
	const out: string[] = []
	for (let i = 0; i < request.rawHeaders.length; i += 2) {
		if (request.rawHeaders[i]?.toLowerCase() === name) out.push(trimOws(request.rawHeaders[i + 1] ?? ''))
	}
	return out
}

/**
 * How an adapter sees repeated headers: as Node's list of raw headers (`'node'`), or as a Web
 * `Headers` does (`'web'`): one value, the repeated ones joined with ", ", which cannot be told
 * from one value holding ", ".
 */
export type HeaderView = 'node' | 'web'

/**
 * `Authorization: Apikey <key>`; Node keeps the first of repeated headers, the contract refuses
 * repeats. Seen through a Web `Headers`, every ", "-separated part of the joined value counts as one.
 */
function fromAuthorization(request: PlainRequest, view: HeaderView): Found {
	const raw = headerValues(request, 'authorization')
	const values = view === 'web' && raw.length > 0 ? raw.join(', ').split(', ') : raw
	const first = values[0]
	if (first === undefined) return undefined
	const gap = first.search(/[ \t]/)
	if ((gap === -1 ? first : first.slice(0, gap)).toLowerCase() !== 'apikey') return undefined
	if (values.length > 1) return 'ambiguous'
	const found = credential(gap === -1 ? '' : first.slice(gap))
	return typeof found === 'object' && 'key' in found && /[ \t]/.test(found.key) ? { bad: true } : found
}

/** `x-api-key`: a repeated header (or a list, which Node makes of one) is ambiguous. */
function fromHeader(request: PlainRequest): Found {
	const values = headerValues(request, 'x-api-key')
	if (values.length === 0) return undefined
	if (values.length > 1 || values[0]?.includes(',')) return 'ambiguous'
	return credential(values[0] ?? '')
}

/** `api_key` in the query (between `?` and the fragment), in any percent-encoded spelling. */
function fromQuery(request: PlainRequest): Found {
	const hash = request.url.indexOf('#')
	const beforeFragment = hash === -1 ? request.url : request.url.slice(0, hash)
	const q = beforeFragment.indexOf('?')
	if (q === -1) return undefined
	const found: Found[] = []
	for (const pair of beforeFragment.slice(q + 1).split('&')) {
		const eq = pair.indexOf('=')
		const name = decodeForm(eq === -1 ? pair : pair.slice(0, eq))
		if (name === 'api_key') found.push(credential(eq === -1 ? '' : decodeForm(pair.slice(eq + 1))))
		else if (name?.startsWith('api_key[')) found.push({ bad: true })
	}
	return found.length > 1 ? 'ambiguous' : found[0]
}

/**
 * The outcome the contract (design.md, "Extraction") prescribes for `request` against an app with
 * `apiKeyAuth(keyward)` and default options, written from the contract rather than from core's code.
 */
export function expectedOutcome(request: PlainRequest, ring: Keyring, view: HeaderView = 'node'): Expected {
	if (request.method === 'OPTIONS' && headerValues(request, 'access-control-request-method').length > 0) {
		return { status: 200, id: null }
	}
	const all = [fromAuthorization(request, view), fromHeader(request), fromQuery(request)]
	if (all.includes('ambiguous')) return { status: 401, code: 'ambiguous' }
	const present = all.filter(
		(f): f is { bad: true } | { key: string } => f !== undefined && f !== 'ambiguous',
	)
	if (present.length === 0) return { status: 401, code: 'missing' }
	// Several credentials pass only when they are all the same usable key.
	const keys = new Set(present.flatMap((f) => ('key' in f ? [f.key] : [])))
	if (present.length > 1 && (keys.size !== 1 || present.some((f) => !('key' in f)))) {
		return { status: 401, code: 'ambiguous' }
	}
	const [key] = keys
	if (key === undefined) return { status: 401, code: 'malformed' }
	const id = ring.valid.get(key)
	if (id !== undefined) return { status: 200, id }
	if (ring.revoked.includes(key)) return { status: 401, code: 'revoked' }
	return { status: 401, code: ring.wellFormed(key) ? 'invalid' : 'malformed' }
}

/**
 * Why `answer` is not what the contract prescribes for `request` (status, exact JSON body, challenge,
 * no key text anywhere in the bytes), or `undefined` when it is. The app's final handler must answer
 * `{ id: <authenticated key id or null> }`.
 */
export function answerProblem(
	request: PlainRequest,
	answer: HttpAnswer,
	ring: Keyring,
	view: HeaderView = 'node',
): string | undefined {
	const expected = expectedOutcome(request, ring, view)
	if (answer.status !== expected.status)
		return `status ${answer.status}, expected ${JSON.stringify(expected)}`
	const keys = [...ring.valid.keys(), ...ring.revoked, ...ring.unknown]
	if (ring.pattern.test(answer.raw) || keys.some((key) => answer.raw.includes(key)))
		return 'key text in the response'
	if (!answer.headers['content-type']?.startsWith('application/json')) return 'not JSON'
	if (request.method === 'HEAD') return answer.body === '' ? undefined : 'a body on HEAD'
	const body =
		expected.status === 200
			? { id: expected.id }
			: { detail: ring.details[expected.code]?.detail, code: expected.code }
	if (answer.body !== JSON.stringify(body)) return `body ${answer.body}, expected ${JSON.stringify(body)}`
	if (expected.status === 401 && answer.headers['www-authenticate'] !== 'Apikey realm="api"') {
		return 'no WWW-Authenticate challenge'
	}
	return undefined
}

const headerChar = fc.oneof(
	{ weight: 20, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
	{ weight: 2, arbitrary: fc.constant('\t') },
	{ weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)) },
)
const urlChars = [..."abcXYZ019_-.~!$'()*,;:@/%+=&[]?#"]
const space = fc.constantFrom('', '', '', ' ', '  ', '\t', ' \t ')
/** Text a Node header value can carry: UTF-8 bytes read as Latin-1, no control characters but tab. */
const asHeaderText = (text: string) =>
	Buffer.from(text, 'utf8')
		.toString('latin1')
		.split('')
		.filter((c) => c === '\t' || (c >= ' ' && c !== '\u007f'))
		.join('')

/** Key-shaped text: real keys, revoked and unknown keys, mutated keys, ids, junk, very long values. */
function tokens(ring: Keyring): fc.Arbitrary<string> {
	const valid = fc.constantFrom(...ring.valid.keys())
	const mutated = fc
		.tuple(valid, fc.nat(), fc.constantFrom('A', 'z', '0', '_', '\u00a0', '\u200b', '\n', 'é'), fc.nat(4))
		.map(([key, at, char, how]) => {
			const i = at % key.length
			if (how === 0) return key.slice(0, i) + char + key.slice(i + 1)
			if (how === 1) return key.slice(0, i) + key.slice(i + 1)
			if (how === 2) return key.slice(0, i) + char + key.slice(i)
			if (how === 3) return key + char
			return key.toUpperCase()
		})
	return fc.oneof(
		{ weight: 10, arbitrary: valid },
		{ weight: 5, arbitrary: mutated },
		{ weight: 1, arbitrary: fc.constantFrom(...ring.revoked) },
		{ weight: 1, arbitrary: fc.constantFrom(...ring.unknown) },
		{ weight: 1, arbitrary: fc.constantFrom(...ring.ids) },
		{ weight: 3, arbitrary: fc.string({ unit: headerChar, maxLength: 50 }) },
		{ weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
		{ weight: 1, arbitrary: fc.integer({ min: 1000, max: 1100 }).map((n) => 'k'.repeat(n)) },
	)
}

/** A query value: as is or percent-encoded (wholly or in part), padded with `+`, `%20`, `%09` or `%0A`. */
function queryValue(token: fc.Arbitrary<string>): fc.Arbitrary<string> {
	const pad = fc.constantFrom('', '', '', '+', '%20', '%09', '%0A')
	return fc.tuple(pad, token, fc.nat(2), pad, fc.boolean()).map(([before, text, how, after, lowercase]) => {
		let value =
			how === 0
				? text.replace(/[^A-Za-z0-9_.~-]/gu, encodeURIComponent)
				: how === 1
					? encodeURIComponent(text)
					: text.replace(/[_A-Z]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
		if (lowercase) value = value.replace(/%[0-9A-F]{2}/g, (c) => c.toLowerCase())
		return before + value + after
	})
}

const queryNames = fc.constantFrom(
	'api_key',
	'api_key',
	'api_key',
	'api%5Fkey',
	'api%5fkey',
	'%61pi_key',
	'api_key[]',
	'api_key[x]',
	'api_key%5B%5D',
	'api%255Fkey',
	'API_KEY',
	'api_key+',
	'apikey',
	'__proto__',
	'constructor',
	'__proto__[api_key]',
	'page',
)

const FRAMING = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'expect', 'upgrade'])

/** None (most often), one or two of `item`. */
function few<T>(item: fc.Arbitrary<T>): fc.Arbitrary<T[]> {
	return fc.oneof(
		{ weight: 4, arbitrary: fc.constant<T[]>([]) },
		{ weight: 3, arbitrary: item.map((x) => [x]) },
		{ weight: 1, arbitrary: fc.tuple(item, item) },
	)
}

interface Shape {
	method: string
	path: string
	authorization: [string, string][]
	apiKey: [string, string][]
	params: string[]
	fragment: string
	extra: [string, string][]
}

/**
 * Requests over the whole input space an API-key middleware sees: `Authorization` with any scheme,
 * spacing and value (sometimes repeated), `x-api-key` (sometimes repeated), the key in the query
 * under many spellings or in the fragment, unrelated headers that mention keys, any method. About a
 * quarter carry exactly one valid key in one accepted place, so success paths are exercised too.
 */
export function hostileRequest(ring: Keyring): fc.Arbitrary<PlainRequest> {
	const token = tokens(ring)
	const authorization = fc
		.tuple(
			space,
			fc.constantFrom(
				'Apikey',
				'Apikey',
				'apikey',
				'APIKEY',
				'ApiKey',
				'Bearer',
				'Basic',
				'Apikeys',
				'Api-Key',
				'',
			),
			fc.constantFrom(' ', ' ', '  ', '\t', '', ' \t '),
			token,
			fc.constantFrom('', '', '', ' extra', ', other'),
			space,
		)
		.map((parts) => asHeaderText(parts.join('')))
	const apiKeyHeader = fc.tuple(space, token, space).map((parts) => asHeaderText(parts.join('')))
	const param = fc.oneof(
		{ weight: 3, arbitrary: fc.tuple(queryNames, queryValue(token)).map(([n, v]) => `${n}=${v}`) },
		{ weight: 1, arbitrary: queryNames },
		{ weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...urlChars), maxLength: 12 }) },
	)
	const fragment = fc.oneof(
		{ weight: 4, arbitrary: fc.constant('') },
		{ weight: 1, arbitrary: queryValue(token).map((v) => `#api_key=${v}`) },
		{ weight: 1, arbitrary: queryValue(token).map((v) => `#x?api_key=${v}`) },
		{ weight: 1, arbitrary: queryValue(token).map((v) => `#&api_key=${v}`) },
	)
	const extraHeader = fc.oneof(
		fc.tuple(fc.constantFrom('X-Trace', 'Accept', 'Api-Key', 'X-Api-Key-Id'), token.map(asHeaderText)),
		fc.tuple(
			fc.constant('Cookie'),
			token.map((t) => asHeaderText(`api_key=${t}`)),
		),
		fc.tuple(
			fc.constant('Proxy-Authorization'),
			token.map((t) => asHeaderText(`Apikey ${t}`)),
		),
		fc.tuple(
			fc.constantFrom('Access-Control-Request-Method', 'X-Forwarded-For'),
			fc.constantFrom('GET', '10.0.0.1'),
		),
		fc.tuple(
			// Any token as a name, except those that change how the message itself is framed.
			fc
				.stringMatching(/^[A-Za-z][!#$%&'*+.^_`|~0-9A-Za-z-]{0,15}$/)
				.filter((name) => !FRAMING.has(name.toLowerCase())),
			fc.string({ unit: headerChar, maxLength: 30 }),
		),
	)
	const chaotic: fc.Arbitrary<Shape> = fc.record({
		method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
		path: fc.constantFrom('/', '/a', '/a/b/', '/%2e%2e/x', '//x', '/api_key', 'http://example.com/p'),
		authorization: few(
			fc.tuple(fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION'), authorization),
		),
		apiKey: few(fc.tuple(fc.constantFrom('x-api-key', 'X-Api-Key', 'X-API-KEY'), apiKeyHeader)),
		params: fc.array(param, { maxLength: 3 }),
		fragment,
		extra: fc.array(extraHeader, { maxLength: 3 }),
	})
	const none: Shape = {
		method: 'GET',
		path: '/',
		authorization: [],
		apiKey: [],
		params: [],
		fragment: '',
		extra: [],
	}
	const clean: fc.Arbitrary<Shape> = fc
		.tuple(fc.constantFrom(...ring.valid.keys()), fc.nat(2))
		.map(([key, where]) => {
			if (where === 0) return { ...none, authorization: [['Authorization', `Apikey ${key}`]] }
			if (where === 1) return { ...none, path: '/a', apiKey: [['X-Api-Key', key]] }
			return { ...none, method: 'POST', params: ['a=1', `api_key=${key}`] }
		})
	return fc.oneof({ weight: 1, arbitrary: clean }, { weight: 3, arbitrary: chaotic }).map((r) => {
		const query = r.params.length > 0 ? `?${r.params.join('&')}` : ''
		const url = (r.path + query + r.fragment).replace(/[^\x21-\x7e]/gu, encodeURIComponent)
		const headers: [string, string][] = [['Host', '127.0.0.1'], ...r.authorization, ...r.apiKey, ...r.extra]
		return { method: r.method, url, rawHeaders: headers.flat() }
	})
}
