import type { FailureLimiter } from './failure-limiter.js'
import type { Rejecter } from './rejections.js'
import type { RequestLike, VerifyOptions, VerifyResult } from './types.js'
import type { VerifyObserver } from './verify-observer.js'

/** What surrounds each verification: the failure limiter per client, and the observer. */
export interface VerifyLimits {
	/** The client as the failure limiter knows it; `undefined` without a limit. */
	clientOf(options: Readonly<VerifyOptions>, req: RequestLike | undefined): string | undefined
	/** The refusal for a client over its failure limit, or `undefined` when it may try. */
	throttled(client: string): VerifyResult | undefined
	/** What follows a verification: the failure limiter, then history, metrics and events. */
	finish(
		result: VerifyResult,
		client: string | undefined,
		started: number,
		timed: boolean,
		nowMs: number,
	): VerifyResult
	/** The refusal of a request without a usable key: none, an unusable one, or several. */
	refuseCredentials(
		kind: 'none' | 'malformed' | 'ambiguous',
		options: Readonly<VerifyOptions>,
		req: RequestLike,
	): VerifyResult
}

/** The failure limiter and observer around one keyward's verifications. */
export function createVerifyLimits(deps: {
	readonly limiter: FailureLimiter | undefined
	readonly reject: Rejecter
	readonly observer: VerifyObserver
	readonly now: () => number
}): VerifyLimits {
	const { limiter, reject, observer, now } = deps

	/** The client as the failure limiter knows it; read only when a limit is configured. */
	function clientOf(options: Readonly<VerifyOptions>, req: RequestLike | undefined): string | undefined {
		if (limiter === undefined) return undefined
		const client = options.client
		return typeof client === 'function' ? (req === undefined ? undefined : client(req)) : client
	}

	/** What follows a verification: the failure limiter, then history, metrics and events. */
	function finish(
		result: VerifyResult,
		client: string | undefined,
		started: number,
		timed: boolean,
		nowMs: number,
	): VerifyResult {
		if (client !== undefined && !result.ok) limiter?.record(client, result.code, now())
		observer.finish(result, started, timed, nowMs)
		return result
	}

	/** The refusal for a client over its failure limit, or `undefined` when it may try. */
	function throttled(client: string): VerifyResult | undefined {
		const waitMs = limiter?.blockedFor(client, now()) ?? 0
		if (waitMs === 0) return undefined
		const result = reject('too_many_failures', {
			'Retry-After': String(Math.max(1, Math.ceil(waitMs / 1000))),
		})
		observer.refused(result)
		return result
	}

	/** The refusal of a request without a usable key: none, an unusable one, or several. */
	function refuseCredentials(
		kind: 'none' | 'malformed' | 'ambiguous',
		options: Readonly<VerifyOptions>,
		req: RequestLike,
	): VerifyResult {
		const client = kind === 'none' ? undefined : clientOf(options, req)
		const blocked = client === undefined ? undefined : throttled(client)
		if (blocked !== undefined) return blocked
		const result = reject(kind === 'none' ? 'missing' : kind)
		if (client !== undefined) limiter?.record(client, result.code, now())
		observer.refused(result)
		return result
	}

	return { clientOf, throttled, finish, refuseCredentials }
}
