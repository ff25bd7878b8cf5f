import type { IncomingMessage } from 'node:http'
import type { VerifyFailure } from '@keyward/core'
import type { Response } from 'express'

/** Answer a refusal as JSON `{ detail, code }` with the status and headers core chose. */
export function reject(res: Response, result: VerifyFailure): void {
	res.status(result.status).set(result.headers).json({ detail: result.detail, code: result.code })
}

/**
 * `missing` refusals that an optional `apiKeyAuth` let through, by request. `checkScopes` has no
 * keyward and so always names the default realm; `requireScopes` answers with this one instead, whose
 * `WWW-Authenticate` carries the realm the keyward was configured with.
 */
const passedMissing = new WeakMap<IncomingMessage, VerifyFailure>()

/** Remember the `missing` refusal of a request that an optional `apiKeyAuth` let through. */
export function rememberMissing(req: IncomingMessage, result: VerifyFailure): void {
	passedMissing.set(req, result)
}

/** The refusal to send for `result`, preferring the keyward's own `missing` refusal for `req`. */
export function refusalFor(req: IncomingMessage, result: VerifyFailure): VerifyFailure {
	return result.code === 'missing' ? (passedMissing.get(req) ?? result) : result
}
