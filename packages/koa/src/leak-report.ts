import type { Keyward } from '@keyward/core'
import { createLeakReportReceiver, type LeakReportOptions } from '@keyward/core/management'
import type { Context, Middleware } from 'koa'

/** Options of {@link leakReportHandler}: core's leak-report options, for Koa contexts. */
export interface LeakReportHandlerOptions extends LeakReportOptions<Context> {}

/**
 * Koa middleware where a code host reports leaked keys: GitHub's secret scanning partner program
 * (`publicKeys`: a signed JSON array of `{ token, type, url, source }`), or a plain JSON call
 * authenticated by `secret` or `authorize(ctx)`. Every live key listed is revoked (audited as
 * `leak-report:<reporter>` with the reported URL), `notify` hears of each, and the answer labels
 * each token `true_positive` or `false_positive`. It answers every request it gets: mount it on
 * one route, before any body parser (the signature covers the raw body, read here, 1 MiB at most).
 * @param keyward - the keyward whose keys are revoked
 * @param options - see {@link LeakReportHandlerOptions}
 * @example
 * router.post('/leaks/github', leakReportHandler(keyward, { publicKeys: {}, notify: (leak) => mailOwner(leak) }))
 */
export function leakReportHandler(keyward: Keyward, options: Readonly<LeakReportHandlerOptions>): Middleware {
	const receiver = createLeakReportReceiver(keyward, options, { name: 'leakReportHandler', request: 'ctx' })
	return async function leakReportMiddleware(ctx) {
		const answer = await receiver.handle({ request: ctx, message: ctx.req })
		// Status and body set directly, never `ctx.throw`, whose handler renders text.
		ctx.status = answer.status
		ctx.set(answer.headers)
		ctx.body = answer.body
	}
}
