import type { IncomingMessage } from 'node:http'
import type { VerifyFailure } from '@keyward/core'
import type { ParameterizedContext } from 'koa'

/**
 * Answer a refusal as JSON `{ detail, code }` with the status and headers core chose. The response
 * is set directly rather than through `ctx.throw`, whose default handler would render plain text.
 */
export function reject(ctx: ParameterizedContext, result: VerifyFailure): void {
	ctx.status = result.status
	ctx.set(result.headers)
	ctx.body = { detail: result.detail, code: result.code }
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
