import type { RequestLike, VerifyOptions, VerifyResult } from './types.js'

/**
 * The request path as adapters run it: the result itself when it is known at once (a cached key
 * counted by a counter without I/O), a promise only when the store or the counter must be asked.
 * It may throw for an invalid option, as `verify` rejects.
 */
export type RequestPath = (
	req: RequestLike,
	options: Readonly<VerifyOptions>,
) => VerifyResult | Promise<VerifyResult>

/** What an adapter is given: a keyward, or anything with its `verify`. */
interface Verifies {
	verify(req: RequestLike, options?: Readonly<VerifyOptions>): Promise<VerifyResult>
}

const paths = new WeakMap<object, RequestPath>()

/** Remember the request path of a keyward made by `createKeyward`. */
export function registerRequestPath(keyward: object, path: RequestPath): void {
	paths.set(keyward, path)
}

/** The request path of `keyward`: its own for one made by `createKeyward`, else its `verify`. */
export function requestPathOf(keyward: Verifies): RequestPath {
	return paths.get(keyward) ?? ((req, options) => keyward.verify(req, options))
}
