import type { Keyward } from '@keyward/core'
import { apiKeyAuth, requireScopes } from '@keyward/express'
import type { TokenIssuer } from '@keyward/tokens'
import { jwksHandler, tokenHandler } from '@keyward/tokens/express'
import express, { type Express } from 'express'

/** Options of {@link createEdge}. */
export interface EdgeOptions {
	keyward: Keyward
	issuer: TokenIssuer
	/** Base URL of the internal reports service. */
	internalUrl: URL
}

/**
 * The edge service, the only one with access to the key store:
 * - `POST /token` trades an API key for a short-lived token,
 * - `GET /.well-known/jwks.json` publishes the keys that verify those tokens,
 * - `GET /api/reports` authenticates the caller's API key, then calls the internal service with a
 *   token carrying only the scope that call needs.
 */
export function createEdge(options: EdgeOptions): Express {
	const { keyward, issuer, internalUrl } = options
	const app = express()
	app.disable('x-powered-by')

	app.post('/token', tokenHandler(issuer))
	app.get('/.well-known/jwks.json', jwksHandler(issuer))

	const api = express.Router()
	api.use(apiKeyAuth(keyward))
	api.get('/reports', requireScopes('reports:read'), async (req, res) => {
		// `req.apiKey` was verified (and counted) by apiKeyAuth; minting from it counts nothing more.
		const minted = await issuer.mint(req.apiKey as NonNullable<typeof req.apiKey>, {
			scopes: ['reports:read'],
		})
		if (!minted.ok) {
			res.status(minted.status).set(minted.headers).json({ detail: minted.detail, code: minted.code })
			return
		}
		let upstream: Response
		try {
			upstream = await fetch(new URL('/reports', internalUrl), {
				headers: { authorization: `Bearer ${minted.token}` },
				signal: AbortSignal.timeout(5000),
			})
		} catch {
			res.status(502).json({ detail: 'Reports service unavailable', code: 'bad_gateway' })
			return
		}
		res
			.status(upstream.status)
			.type('application/json')
			.send(await upstream.text())
	})
	app.use('/api', api)
	return app
}
