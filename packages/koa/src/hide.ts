import type { Keyward } from '@keyward/core'
import type { ParameterizedContext } from 'koa'

/**
 * Core's `verify` rewrites `ctx.req.url` without the query key (and, with `hideCredentials: true`,
 * deletes the header that carried it, from `headers` and `rawHeaders`). Koa and Node keep other copies; bring them in line so later
 * middleware and loggers never see the key. `ctx.url`, `ctx.querystring` and `ctx.query` read
 * `ctx.req.url` and follow by themselves; `ctx.href` and `ctx.URL` are built from `originalUrl`.
 */
export function hideCredentialCopies(keyward: Keyward, ctx: ParameterizedContext, urlBefore: string): void {
	if (ctx.req.url !== urlBefore) {
		const hidden = keyward.hideQueryCredentials(ctx.originalUrl)
		ctx.originalUrl = hidden
		ctx.request.originalUrl = hidden
		// Koa memoizes `ctx.URL` on first read; forget a copy made before authentication.
		const request = ctx.request as typeof ctx.request & { memoizedURL?: unknown }
		if (request.memoizedURL !== undefined) request.memoizedURL = undefined
	}
}
