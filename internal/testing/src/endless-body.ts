import type { Server } from 'node:http'
import { connect } from 'node:net'

/** What {@link sendEndlessBody} saw. */
export interface EndlessBodyOutcome {
	/** Status of the answer; `NaN` if none came. */
	readonly status: number
	/** Everything the server answered, as Latin-1 text. */
	readonly answer: string
	/** Body bytes the client managed to send before the server closed the connection. */
	readonly sent: number
}

/** Most body bytes {@link sendEndlessBody} sends before giving up on the server ever closing. */
export const ENDLESS_BODY_CAP = 64 * 1024 * 1024

/**
 * Count the bytes `server`'s sockets take in from now on (the request head included).
 * @example const read = countBytesRead(server); ...; expect(read()).toBeLessThan(1 << 22)
 */
export function countBytesRead(server: Server): () => number {
	let received = 0
	server.on('connection', (socket) =>
		socket.on('data', (chunk: Buffer) => {
			received += chunk.length
		}),
	)
	return () => received
}

/**
 * POST a chunked body that never ends to `path` on 127.0.0.1:`port`, with `headers`, until the
 * server closes the connection (or {@link ENDLESS_BODY_CAP} bytes were sent, which a test should
 * treat as the server reading forever).
 */
export async function sendEndlessBody(
	port: number,
	path: string,
	headers: Readonly<Record<string, string>>,
): Promise<EndlessBodyOutcome> {
	const socket = connect(port, '127.0.0.1')
	await new Promise<void>((resolve, reject) => {
		socket.once('connect', resolve)
		socket.once('error', reject)
	})
	socket.on('error', () => {})
	let answer = ''
	let closed = false
	socket.on('data', (chunk: Buffer) => {
		answer += chunk.toString('latin1')
	})
	socket.on('close', () => {
		closed = true
	})
	const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`)
	socket.write(
		`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${lines.join('')}transfer-encoding: chunked\r\n\r\n`,
	)
	const chunk = `4000\r\n${' '.repeat(0x4000)}\r\n`
	let sent = 0
	while (!closed && sent < ENDLESS_BODY_CAP) {
		const more = socket.write(chunk)
		sent += 0x4000
		if (!more) await new Promise<void>((resolve) => setTimeout(resolve, 5))
	}
	socket.destroy()
	return { status: Number(answer.split(' ')[1]), answer, sent }
}
