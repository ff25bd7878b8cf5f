import { AsyncLocalStorage } from 'node:async_hooks'
import type { AuditStamp } from './store-types.js'

/** Who is acting, and from where, for the management calls made inside {@link withAuditContext}. */
export interface AuditContext {
	actor?: string | null | undefined
	source?: string | null | undefined
}

const contexts = new AsyncLocalStorage<AuditContext>()
const MAX_LABEL = 256

/** A label fit for an audit entry: a string of at most 256 characters, else `null`. */
function label(value: unknown): string | null {
	return typeof value === 'string' && value.length > 0 ? value.slice(0, MAX_LABEL) : null
}

/** Actor and source of the surrounding {@link withAuditContext}, else the fallbacks. */
export function currentAuditStamp(fallback?: Readonly<AuditContext>): AuditStamp {
	const context = contexts.getStore()
	return {
		actor: context?.actor ?? label(fallback?.actor),
		source: context?.source ?? label(fallback?.source),
	}
}

/**
 * Run `fn` with `context` as the actor and source of every audit entry its management calls
 * produce (the context follows `await`s). Adapters and the CLI wrap their calls in it.
 * @example
 * await withAuditContext({ actor: userId, source: req.ip }, () => keyward.revokeKey(id))
 */
export function withAuditContext<T>(context: Readonly<AuditContext>, fn: () => T): T {
	return contexts.run({ actor: label(context?.actor), source: label(context?.source) }, fn)
}
