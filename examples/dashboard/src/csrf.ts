import type { RequestHandler } from 'express'

/** Header the dashboard's page sends on every state-changing request. */
export const CSRF_HEADER = 'x-keyward-dashboard'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Refuse cross-site state-changing requests, on top of the SameSite=Strict cookie: they must
 * carry {@link CSRF_HEADER} (a custom header another site can only send after a CORS preflight,
 * which this app never grants), and an `Origin` or `Sec-Fetch-Site`, when the browser sends
 * one, must name this very site.
 */
export function sameOriginOnly(): RequestHandler {
	return function sameOriginOnlyMiddleware(req, res, next) {
		if (SAFE_METHODS.has(req.method)) return next()
		const origin = req.headers.origin
		const site = req.headers['sec-fetch-site']
		const sameOrigin =
			req.headers[CSRF_HEADER] === '1' &&
			(origin === undefined || origin === `${req.protocol}://${req.headers.host}`) &&
			(site === undefined || site === 'same-origin')
		if (sameOrigin) return next()
		res.status(403).json({ detail: 'Cross-site request refused', code: 'cross_site_request' })
	}
}
