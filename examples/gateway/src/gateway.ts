import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createKeyward, type Keyward, MemoryStore } from '@keyward/core'
import { createTokenIssuer, generateSigningKey, type TokenIssuer } from '@keyward/tokens'
import { createEdge } from './edge.js'
import { createInternalService } from './internal-service.js'

/** Options of {@link startGateway}. */
export interface GatewayOptions {
	/** Interface both services listen on. @defaultValue '127.0.0.1' */
	host?: string | undefined
	/** @defaultValue 4000 (0 picks a free port) */
	edgePort?: number | undefined
	/** @defaultValue 4001 (0 picks a free port) */
	internalPort?: number | undefined
	/** @defaultValue a keyward on a fresh `MemoryStore` */
	keyward?: Keyward | undefined
}

/** Both services, running. */
export interface RunningGateway {
	edgeUrl: URL
	internalUrl: URL
	keyward: Keyward
	issuer: TokenIssuer
	close(): Promise<void>
}

/** Audience of the tokens the edge mints for the reports service. */
export const REPORTS_AUDIENCE = 'reports-service'

function listen(server: Server, port: number, host: string): Promise<URL> {
	return new Promise((resolve, reject) => {
		server.once('error', reject)
		server.listen(port, host, () => {
			server.off('error', reject)
			resolve(new URL(`http://${host}:${(server.address() as AddressInfo).port}`))
		})
	})
}

function close(server: Server): Promise<void> {
	server.closeAllConnections()
	return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
}

/**
 * Start the edge and the internal service. Each needs the other's address (the edge calls the
 * service, the service fetches the edge's JWKS), so both listen first and get their apps after.
 * @example
 * const gateway = await startGateway({ edgePort: 0, internalPort: 0 })
 * const { key } = await gateway.keyward.createKey({ owner: 'acme', scopes: ['reports:read'] })
 */
export async function startGateway(options: GatewayOptions = {}): Promise<RunningGateway> {
	const host = options.host ?? '127.0.0.1'
	const keyward = options.keyward ?? createKeyward({ store: new MemoryStore() })
	const edgeServer = createServer()
	const internalServer = createServer()
	const edgeUrl = await listen(edgeServer, options.edgePort ?? 4000, host)
	let internalUrl: URL
	try {
		internalUrl = await listen(internalServer, options.internalPort ?? 4001, host)
	} catch (error) {
		await close(edgeServer)
		throw error
	}

	// The signing key and a published next key, so the edge can rotate without surprising anyone.
	const issuer = createTokenIssuer({
		keyward,
		issuer: edgeUrl.origin,
		audience: REPORTS_AUDIENCE,
		ttlMs: 120_000,
		keys: [await generateSigningKey(), await generateSigningKey()],
	})
	edgeServer.on('request', createEdge({ keyward, issuer, internalUrl }))
	const service = createInternalService({
		issuer: edgeUrl.origin,
		audience: REPORTS_AUDIENCE,
		jwksUrl: new URL('/.well-known/jwks.json', edgeUrl),
	})
	internalServer.on('request', service.callback())

	return {
		edgeUrl,
		internalUrl,
		keyward,
		issuer,
		async close() {
			await Promise.all([close(edgeServer), close(internalServer)])
			await keyward.close()
		},
	}
}
