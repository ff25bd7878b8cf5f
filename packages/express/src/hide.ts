import type { Keyward } from '@keyward/core'
import type { Request } from 'express'

/**
 * Core's `verify` rewrites `req.url` without the query key (and, with `hideCredentials: true`,
 * deletes the header that carried it, from `headers` and `rawHeaders`). Express and Node keep other copies; bring them in line so
 * later middleware, loggers and error handlers never see the key. `req.query` needs nothing: in
 * Express 5 it is a getter that parses the current `req.url` on every read.
 */
export function hideCredentialCopies(keyward: Keyward, req: Request, urlBefore: string): void {
	if (req.url !== urlBefore && typeof req.originalUrl === 'string') {
		req.originalUrl = keyward.hideQueryCredentials(req.originalUrl)
	}
}
