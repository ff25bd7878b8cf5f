/**
 * The harness of the adapter test suites (Express and Koa): servers closed at the end of a file,
 * requests through supertest or raw sockets, and a check that no response carried key text.
 */
import { createServer, type RequestListener, type Server } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { type KeyStore, keyPattern, REJECTIONS, type RejectCode } from '@keyward/core'
import { failingStore } from '@keyward/core/testing'
import request from 'supertest'
import { afterAll, expect } from 'vitest'

/** The challenge every 401 carries with the default realm. */
export const CHALLENGE = 'Apikey realm="api"'

/** A response as the tests look at it, whether it came through supertest or a raw socket. */
export interface Answer {
	status: number
	headers: Record<string, string | string[] | undefined>
	body: unknown
	text: string
}

const secrets = new Set<string>()
const answers: string[] = []
const servers: Server[] = []
const anyKey = keyPattern('kw', 'g')

/** Remember key text that must never show up in a response. */
export function secret(key: string): string {
	secrets.add(key)
	return key
}

function observe(answer: Answer): Answer {
	answers.push(`${JSON.stringify(answer.headers)}\n${answer.text}`)
	return answer
}

/**
 * Register the end-of-file checks: every response of the file is free of key text (any string in
 * keyward's key format, and every remembered key), and every server is closed.
 */
export function useHarness(): void {
	afterAll(async () => {
		for (const server of servers.splice(0)) {
			server.closeAllConnections()
			await new Promise<void>((resolve) => server.close(() => resolve()))
		}
		expect(answers.length).toBeGreaterThan(0)
		for (const answer of answers) {
			expect(answer.match(anyKey)).toBeNull()
			for (const key of secrets) {
				expect(answer).not.toContain(key)
				expect(answer).not.toContain(key.slice(-24))
			}
		}
	})
}

/** Start `listener` on an ephemeral port; closed when the file ends. */
export async function serve(listener: RequestListener): Promise<Server> {
	const server = createServer(listener)
	servers.push(server)
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	return server
}

/** Send a request through supertest and record the answer for the leak check. */
export async function send(
	server: Server,
	path: string,
	headers: Record<string, string> = {},
	method: 'GET' | 'OPTIONS' = 'GET',
): Promise<Answer> {
	const agent = request(server)
	const res = await (method === 'GET' ? agent.get(path) : agent.options(path)).set(headers)
	return observe({ status: res.status, headers: res.headers, body: res.body, text: res.text })
}

/**
 * Send a hand-written HTTP/1.1 request over TCP, for what an HTTP client refuses to produce
 * (such as a repeated `Authorization` header). `headerLines` are `Name: value` strings.
 */
export function sendRaw(server: Server, path: string, headerLines: readonly string[]): Promise<Answer> {
	const { port } = server.address() as AddressInfo
	const head = [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...headerLines]
	return new Promise((resolve, reject) => {
		const socket = connect(port, '127.0.0.1', () => socket.end(`${head.join('\r\n')}\r\n\r\n`))
		const chunks: Buffer[] = []
		socket.on('data', (chunk: Buffer) => chunks.push(chunk))
		socket.on('error', reject)
		socket.on('end', () => {
			const textAll = Buffer.concat(chunks).toString('latin1')
			const split = textAll.indexOf('\r\n\r\n')
			const [statusLine = '', ...lines] = textAll.slice(0, split).split('\r\n')
			const headers: Record<string, string> = {}
			for (const line of lines) {
				const colon = line.indexOf(':')
				headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
			}
			const text = textAll.slice(split + 4)
			const json = headers['content-type']?.startsWith('application/json') === true
			resolve(
				observe({
					status: Number(statusLine.split(' ')[1]),
					headers,
					body: json ? JSON.parse(text) : text,
					text,
				}),
			)
		})
	})
}

/** A store whose calls never settle, as a stuck connection pool would. */
export function hangingStore(): KeyStore {
	return failingStore(() => new Promise<never>(() => {}))
}

/** The same key with its last checksum character changed: well-shaped, but the checksum fails. */
export function tamper(key: string): string {
	const last = key.at(-1)
	return key.slice(0, -1) + (last === 'A' ? 'B' : 'A')
}

/** Assert a refusal: status, exact JSON body from core's table, and the challenge exactly on 401s. */
export function expectRefusal(answer: Answer, code: RejectCode): void {
	const { status, detail } = REJECTIONS[code]
	expect(answer.status).toBe(status)
	expect(answer.headers['content-type']).toMatch(/^application\/json/)
	expect(answer.body).toStrictEqual({ detail, code })
	if (status === 401) expect(answer.headers['www-authenticate']).toBe(CHALLENGE)
	else expect(answer.headers['www-authenticate']).toBeUndefined()
}
