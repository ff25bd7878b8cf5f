// Calls a Node request listener (an app's `(req, res)`) without a socket: a real IncomingMessage and
// ServerResponse of node:http over a stream that takes the bytes and drops them. Node's own response
// code runs (headers validated, serialised and written); only the kernel and the parser are left out.
import { IncomingMessage, ServerResponse } from 'node:http'
import { Duplex } from 'node:stream'

/** A connection that accepts whatever is written and never has anything to read. */
class NullSocket extends Duplex {
	remoteAddress = '127.0.0.1'
	remotePort = 50000
	encrypted = undefined
	_read() {}
	_write(_chunk, _encoding, callback) {
		callback()
	}
	_writev(_chunks, callback) {
		callback()
	}
	setTimeout() {
		return this
	}
	setNoDelay() {
		return this
	}
	setKeepAlive() {
		return this
	}
}

/**
 * A function that sends one `GET url` with `headers` through `dispatch` and resolves with the
 * response's status once the response has finished (its last byte written).
 */
export function injector(dispatch, url, headers) {
	const rawHeaders = Object.entries(headers).flat()
	return function send() {
		return new Promise((resolve, reject) => {
			const socket = new NullSocket()
			const req = new IncomingMessage(socket)
			req.method = 'GET'
			req.url = url
			req.httpVersion = '1.1'
			req.httpVersionMajor = 1
			req.httpVersionMinor = 1
			req.headers = { host: '127.0.0.1', ...headers }
			req.rawHeaders = ['Host', '127.0.0.1', ...rawHeaders]
			req.complete = true
			req.push(null)
			const res = new ServerResponse(req)
			res.assignSocket(socket)
			res.once('finish', () => {
				res.detachSocket(socket)
				resolve(res.statusCode)
			})
			res.once('error', reject)
			dispatch(req, res)
		})
	}
}
