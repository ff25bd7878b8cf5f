import type { VerifyFailure } from '@keyward/core'
import { refusalBody } from '@keyward/core/adapter'
import type { ParameterizedContext } from 'koa'

/**
 * Answer a refusal as JSON `{ detail, code }` with the status and headers core chose. The response
 * is set directly rather than through `ctx.throw`, whose default handler would render plain text.
 */
export function reject(ctx: ParameterizedContext, refusal: VerifyFailure): void {
	ctx.status = refusal.status
	ctx.set(refusal.headers)
	ctx.body = refusalBody(refusal)
}
