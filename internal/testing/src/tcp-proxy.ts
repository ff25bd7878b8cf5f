import { connect, createServer, type Server, type Socket } from 'node:net'

/** A TCP forwarder between a client and a service, which tests cut, stall and restore. */
export interface TcpProxy {
	/** Local port the proxy listens on; stays the same across `cut` and `restore`. */
	readonly port: number
	/** `url` (a service URL) with its host and port pointed at the proxy. */
	urlFor(url: string): string
	/** Stop listening and drop every open connection: clients see resets and refused connects. */
	cut(): Promise<void>
	/** Listen again on the same port. */
	restore(): Promise<void>
	/** Keep connections open but forward nothing (a hung service); new connections hang too. */
	stall(): void
	/** Forward again what `stall` held back. */
	resume(): void
	/** Connections currently open through the proxy. */
	readonly connections: number
	/** Stop for good. */
	close(): Promise<void>
}

interface Pair {
	client: Socket
	upstream: Socket
	/** Data received during a stall, in arrival order. */
	held: [Socket, Buffer][]
}

/**
 * Start a proxy on 127.0.0.1 (a free port) forwarding to `target` (`host:port` of a service URL).
 * @example
 * const proxy = await startTcpProxy(new URL(pgUrl))
 * const pool = new pg.Pool({ connectionString: proxy.urlFor(pgUrl) })
 */
export async function startTcpProxy(target: { hostname: string; port: string | number }): Promise<TcpProxy> {
	const host = target.hostname.replace(/^\[|\]$/g, '')
	const port = Number(target.port)
	const pairs = new Set<Pair>()
	let stalled = false
	let server: Server | undefined

	function accept(client: Socket): void {
		const upstream = connect({ host, port })
		const pair: Pair = { client, upstream, held: [] }
		pairs.add(pair)
		// Manual forwarding, so a stall holds data back deterministically.
		const forward = (to: Socket) => (chunk: Buffer) => {
			if (stalled) pair.held.push([to, chunk])
			else to.write(chunk)
		}
		client.on('data', forward(upstream))
		upstream.on('data', forward(client))
		const drop = () => {
			pairs.delete(pair)
			client.destroy()
			upstream.destroy()
		}
		for (const socket of [client, upstream]) {
			socket.on('error', drop)
			socket.on('close', drop)
			socket.on('end', drop)
		}
	}

	function listen(at: number): Promise<number> {
		return new Promise((resolve, reject) => {
			const next = createServer(accept)
			next.once('error', reject)
			next.listen(at, '127.0.0.1', () => {
				server = next
				const address = next.address()
				resolve(typeof address === 'object' && address !== null ? address.port : at)
			})
		})
	}

	async function cut(): Promise<void> {
		const current = server
		server = undefined
		for (const pair of pairs) {
			pair.client.destroy()
			pair.upstream.destroy()
		}
		pairs.clear()
		if (current !== undefined) await new Promise<void>((resolve) => current.close(() => resolve()))
	}

	const bound = await listen(0)
	return {
		port: bound,
		urlFor(url) {
			const parsed = new URL(url)
			parsed.hostname = '127.0.0.1'
			parsed.port = String(bound)
			return parsed.toString()
		},
		cut,
		async restore() {
			if (server === undefined) await listen(bound)
		},
		stall() {
			stalled = true
		},
		resume() {
			stalled = false
			for (const pair of pairs) {
				for (const [to, chunk] of pair.held.splice(0)) to.write(chunk)
			}
		},
		get connections() {
			return pairs.size
		},
		close: cut,
	}
}
