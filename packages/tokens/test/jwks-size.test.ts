import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createTokenVerifier, type TokenVerifierOptions } from '../src/verifier.js'
import { AUDIENCE, createFixture, type Fixture, ISSUER } from './support.js'

/** The documented default of `jwksMaxBytes`. */
const DEFAULT_MAX_BYTES = 256 * 1024
/** Node hands a socket's data over in reads of up to 64 KiB, so the verifier may pull one such chunk past its limit. */
const ONE_READ = 64 * 1024
/** An "endless" body stops here, so that a verifier without a limit still finishes (at its timeout). */
const ENDLESS_CAP = 64 * 1024 * 1024
const UNAVAILABLE = { ok: false, status: 503, code: 'unavailable', headers: {} }

let f: Fixture
let server: Server
let respond: (req: IncomingMessage, res: ServerResponse) => void
let url: URL

beforeEach(async () => {
	f = await createFixture()
	server = createServer((req, res) => respond(req, res))
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`)
})

afterEach(async () => {
	vi.unstubAllGlobals()
	server.closeAllConnections()
	await new Promise((resolve) => server.close(resolve))
})

function verifier(options: Partial<TokenVerifierOptions> = {}) {
	return createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: url, now: f.clock.now, ...options })
}

async function token() {
	const minted = await f.issuer.mint(f.apiKey)
	if (!minted.ok) throw new Error('mint failed')
	return minted.token
}

/** The issuer's key set padded with trailing whitespace (still valid JSON) to exactly `size` bytes. */
function jwksOfSize(size: number): Buffer {
	const json = JSON.stringify(f.issuer.jwks())
	return Buffer.from(json.padEnd(size, ' '))
}

/** Send `body` without a Content-Length (chunked), or with one. */
function send(res: ServerResponse, body: Buffer, framing: 'chunked' | 'content-length') {
	res.setHeader('Content-Type', 'application/json')
	if (framing === 'content-length') {
		res.setHeader('Content-Length', body.length)
		res.end(body)
		return
	}
	const half = Math.floor(body.length / 2)
	res.write(body.subarray(0, half))
	res.end(body.subarray(half))
}

/** Resolves when the server sees the JWKS connection closed. */
function closedByClient(res: ServerResponse): Promise<void> {
	return new Promise((resolve) => res.on('close', resolve))
}

/**
 * Route the verifier's fetch through a wrapper that counts the body bytes actually pulled from the
 * network. The wrapper buffers nothing (`highWaterMark: 0`), so the count is what the verifier read,
 * not what the kernel happened to buffer.
 */
function countBodyBytesRead(): () => number {
	const realFetch = globalThis.fetch
	let read = 0
	vi.stubGlobal('fetch', async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
		const response = await realFetch(input, init)
		if (response.body === null) return response
		const reader = response.body.getReader()
		const counted = new ReadableStream<Uint8Array>(
			{
				async pull(controller) {
					const { done, value } = await reader.read()
					if (done) return controller.close()
					read += value.byteLength
					controller.enqueue(value)
				},
				cancel: (reason) => reader.cancel(reason),
			},
			{ highWaterMark: 0 },
		)
		return new Response(counted, { status: response.status, headers: response.headers })
	})
	return () => read
}

describe('remote JWKS size limit', () => {
	it('stops reading an endless key set past jwksMaxBytes, hangs up and answers 503', async () => {
		let written = 0
		let closed: Promise<void> = Promise.resolve()
		respond = (_req, res) => {
			closed = closedByClient(res)
			res.writeHead(200, { 'Content-Type': 'application/json' })
			const whitespace = Buffer.alloc(16 * 1024, ' ')
			const pump = () => {
				while (written < ENDLESS_CAP && !res.destroyed) {
					written += whitespace.length
					if (!res.write(whitespace)) {
						res.once('drain', pump)
						return
					}
				}
			}
			pump()
		}
		const bytesRead = countBodyBytesRead()
		// A short timeout so that an unbounded reader ends (with 503 too) and the byte count tells them apart.
		const result = await verifier({ jwksTimeoutMs: 3000 }).verify(await token())
		expect(result).toMatchObject(UNAVAILABLE)
		await closed
		expect(bytesRead()).toBeGreaterThan(0)
		expect(bytesRead()).toBeLessThanOrEqual(DEFAULT_MAX_BYTES + ONE_READ)
		// The connection was closed by the verifier, while the server still had most of its stream to send.
		expect(written).toBeLessThan(ENDLESS_CAP)
	})

	it.each(['chunked', 'content-length'] as const)(
		'accepts a key set of exactly jwksMaxBytes (%s)',
		async (framing) => {
			respond = (_req, res) => send(res, jwksOfSize(DEFAULT_MAX_BYTES), framing)
			expect((await verifier().verify(await token())).ok).toBe(true)
		},
	)

	it('refuses a streamed key set one byte over jwksMaxBytes with 503', async () => {
		respond = (_req, res) => send(res, jwksOfSize(DEFAULT_MAX_BYTES + 1), 'chunked')
		expect(await verifier().verify(await token())).toMatchObject(UNAVAILABLE)
	})

	it('refuses a Content-Length over jwksMaxBytes with 503 without reading the body', async () => {
		let closed: Promise<void> = Promise.resolve()
		respond = (_req, res) => {
			closed = closedByClient(res)
			send(res, jwksOfSize(DEFAULT_MAX_BYTES + 1), 'content-length')
		}
		const bytesRead = countBodyBytesRead()
		expect(await verifier().verify(await token())).toMatchObject(UNAVAILABLE)
		expect(bytesRead()).toBe(0)
		await closed
	})

	it('limits the decoded size of a compressed key set, not its Content-Length', async () => {
		const compressed = gzipSync(jwksOfSize(4 * DEFAULT_MAX_BYTES))
		expect(compressed.length).toBeLessThan(DEFAULT_MAX_BYTES)
		respond = (_req, res) => {
			res.setHeader('Content-Encoding', 'gzip')
			send(res, compressed, 'content-length')
		}
		expect(await verifier().verify(await token())).toMatchObject(UNAVAILABLE)
	})

	it('still times out a body that stalls below jwksMaxBytes', async () => {
		respond = (_req, res) => {
			res.writeHead(200, { 'Content-Type': 'application/json' })
			res.write('{"keys": [')
		}
		expect(await verifier({ jwksTimeoutMs: 50 }).verify(await token())).toMatchObject(UNAVAILABLE)
	})

	it('applies a configured jwksMaxBytes', async () => {
		const size = 4096
		respond = (_req, res) => send(res, jwksOfSize(size), 'chunked')
		expect((await verifier({ jwksMaxBytes: size }).verify(await token())).ok).toBe(true)
		respond = (_req, res) => send(res, jwksOfSize(size + 1), 'chunked')
		expect(await verifier({ jwksMaxBytes: size }).verify(await token())).toMatchObject(UNAVAILABLE)
	})
})
