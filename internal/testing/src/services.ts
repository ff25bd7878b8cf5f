import { connect, type Socket } from 'node:net'
import { it } from 'vitest'

/** PostgreSQL URL for tests: `KEYWARD_PG_URL`, else the local service. */
export const pgUrl: string = process.env.KEYWARD_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
/** Redis URL for tests: `KEYWARD_REDIS_URL`, else the local service. */
export const redisUrl: string = process.env.KEYWARD_REDIS_URL ?? 'redis://127.0.0.1:6379'
/** When set, a missing service fails the run instead of skipping loudly. */
export const requireServices: boolean = process.env.KEYWARD_REQUIRE_SERVICES === '1'

/** Outcome of probing a backing service. */
export interface ServiceProbe {
	/** Human name, e.g. `PostgreSQL`. */
	name: string
	/** The URL probed, with any password hidden. */
	url: string
	/** Environment variable that points the tests at another server. */
	envVar: string
	available: boolean
	/** Why the service counts as unavailable. */
	reason?: string | undefined
}

/** `url` with its password replaced, safe for test output. */
export function redactUrl(url: string): string {
	try {
		const parsed = new URL(url)
		if (parsed.password !== '') parsed.password = '***'
		return parsed.toString()
	} catch {
		return '<unparseable url>'
	}
}

/** Open a TCP connection, run `talk` on it, and always destroy it; fails after `timeoutMs`. */
export function withSocket<T>(
	url: URL,
	defaultPort: number,
	timeoutMs: number,
	talk: (socket: Socket) => Promise<T>,
): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		const host = url.hostname.replace(/^\[|\]$/g, '')
		const socket = connect({ host, port: Number(url.port || defaultPort) })
		const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
		socket.once('error', reject)
		socket.once('close', () => {
			clearTimeout(timer)
			reject(new Error('connection closed'))
		})
		socket.once('connect', () => {
			talk(socket).then(
				(value) => {
					resolve(value)
					socket.destroy()
				},
				(error: unknown) => {
					reject(error)
					socket.destroy()
				},
			)
		})
	})
}

/** Resolves with the first chunk of data that `done` accepts (everything received so far). */
export function readUntil(socket: Socket, done: (received: Buffer) => boolean): Promise<Buffer> {
	return new Promise((resolve) => {
		let received = Buffer.alloc(0)
		socket.on('data', (chunk: Buffer) => {
			received = Buffer.concat([received, chunk])
			if (done(received)) resolve(received)
		})
	})
}

/** Outcome of a PostgreSQL startup exchange read so far; `undefined` while more is needed. */
function startupOutcome(received: Buffer): { ok: boolean; reason?: string } | undefined {
	let at = 0
	while (at + 5 <= received.length) {
		const type = String.fromCharCode(received[at] as number)
		const length = received.readInt32BE(at + 1)
		if (at + 1 + length > received.length) return undefined
		const body = received.subarray(at + 5, at + 1 + length)
		if (type === 'E') {
			const message = body
				.toString('utf8')
				.split('\0')
				.find((field) => field.startsWith('M'))
			return { ok: false, reason: message?.slice(1) ?? 'error response' }
		}
		// A password request proves the server is there; the driver will authenticate.
		if (type === 'R' && body.readInt32BE(0) !== 0) return { ok: true }
		if (type === 'Z') return { ok: true }
		at += 1 + length
	}
	return undefined
}

const pgProbe = { name: 'PostgreSQL', envVar: 'KEYWARD_PG_URL' }
const redisProbe = { name: 'Redis', envVar: 'KEYWARD_REDIS_URL' }

/**
 * Ask a PostgreSQL server to start a session for the URL's user and database. Accepts an
 * authentication request or success; a refusal (unknown database, no such role) is reported.
 */
export function probePostgres(url: string = pgUrl, timeoutMs = 2000): Promise<ServiceProbe> {
	return probePostgresProtocol(pgProbe, url, timeoutMs)
}

/** The PostgreSQL startup exchange, reported as `service` (PostgreSQL itself, or a pooler). */
export async function probePostgresProtocol(
	service: { name: string; envVar: string },
	url: string,
	timeoutMs: number,
): Promise<ServiceProbe> {
	const shown = redactUrl(url)
	try {
		const parsed = new URL(url)
		const user = decodeURIComponent(parsed.username || 'postgres')
		const database = decodeURIComponent(parsed.pathname.slice(1) || user)
		const outcome = await withSocket(parsed, 5432, timeoutMs, async (socket) => {
			const body = Buffer.from(`user\0${user}\0database\0${database}\0\0`)
			const head = Buffer.alloc(8)
			head.writeInt32BE(8 + body.length, 0)
			head.writeInt32BE(196608, 4) // protocol 3.0
			const reply = readUntil(socket, (received) => startupOutcome(received) !== undefined)
			socket.write(Buffer.concat([head, body]))
			return startupOutcome(await reply) as { ok: boolean; reason?: string }
		})
		return { ...service, url: shown, available: outcome.ok, reason: outcome.reason }
	} catch (error) {
		return { ...service, url: shown, available: false, reason: (error as Error).message }
	}
}

/** Send `PING` to a Redis server (authenticating first when the URL carries a password). */
export async function probeRedis(url: string = redisUrl, timeoutMs = 2000): Promise<ServiceProbe> {
	const shown = redactUrl(url)
	try {
		const parsed = new URL(url)
		const answer = await withSocket(parsed, 6379, timeoutMs, async (socket) => {
			const reply = readUntil(socket, (received) => received.includes('\r\n'))
			const password = decodeURIComponent(parsed.password)
			const user = decodeURIComponent(parsed.username) || 'default'
			if (password !== '') socket.write(`AUTH ${user} ${password}\r\n`)
			socket.write('PING\r\n')
			return reply
		})
		const text = answer.toString('utf8')
		if (text.startsWith('+OK') || text.startsWith('+PONG'))
			return { ...redisProbe, url: shown, available: true }
		return { ...redisProbe, url: shown, available: false, reason: text.trim() }
	} catch (error) {
		return { ...redisProbe, url: shown, available: false, reason: (error as Error).message }
	}
}

/**
 * Decide whether a test file runs its tests against `probe`'s service. When the service is
 * missing, this warns loudly and answers `false` (use with `describe.skipIf`), or, with
 * `KEYWARD_REQUIRE_SERVICES=1`, registers a failing test naming the service and the URL.
 * @example
 * const pg = useService(await probePostgres())
 * describe.skipIf(!pg)('PostgresStore', () => runKeyStoreConformance(freshStore))
 */
export function useService(probe: ServiceProbe): boolean {
	if (probe.available) return true
	const message = `${probe.name} is not reachable at ${probe.url} (${probe.reason ?? 'unknown reason'})`
	if (requireServices) {
		it(`${probe.name} is reachable (KEYWARD_REQUIRE_SERVICES=1)`, () => {
			throw new Error(message)
		})
	} else {
		console.warn(
			`\n[keyward tests] SKIPPING ${probe.name} tests: ${message}.\n` +
				`  Start ${probe.name} there or point ${probe.envVar} at a running server;\n` +
				'  KEYWARD_REQUIRE_SERVICES=1 turns this skip into a failure.\n',
		)
	}
	return false
}
