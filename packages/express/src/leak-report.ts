import type { Keyward } from '@keyward/core'
import { createLeakReportReceiver, type LeakReportOptions } from '@keyward/core/management'
import type { Request, RequestHandler } from 'express'

/** Options of {@link leakReportHandler}: core's leak-report options, for Express requests. */
export interface LeakReportHandlerOptions extends LeakReportOptions<Request> {}

/**
 * An endpoint where a code host reports leaked keys: GitHub's secret scanning partner program
 * (`publicKeys`: a signed JSON array of `{ token, type, url, source }`), or a plain JSON call
 * authenticated by `secret` or `authorize(req)`. Every live key listed is revoked (audited as
 * `leak-report:<reporter>` with the reported URL), `notify` hears of each, and the answer labels
 * each token `true_positive` or `false_positive`. Mount it before any body parser: the signature
 * covers the raw body, which this handler reads itself (1 MiB at most).
 * @param keyward - the keyward whose keys are revoked
 * @param options - see {@link LeakReportHandlerOptions}
 * @example
 * app.post('/leaks/github', leakReportHandler(keyward, { publicKeys: {}, notify: (leak) => mailOwner(leak) }))
 */
export function leakReportHandler(
	keyward: Keyward,
	options: Readonly<LeakReportHandlerOptions>,
): RequestHandler {
	const receiver = createLeakReportReceiver(keyward, options, { name: 'leakReportHandler', request: 'req' })
	return async function leakReportMiddleware(req, res) {
		const { status, headers, body } = await receiver.handle({ request: req, message: req })
		res.status(status).set(headers).json(body)
	}
}
