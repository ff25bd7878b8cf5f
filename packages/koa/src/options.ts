import {
	type Keyward,
	KeywardError,
	rejectUnknownOptions,
	resolveVerifyOptions,
	type VerifyOptions,
} from '@keyward/core'
import type { Context } from 'koa'

/** Options of {@link apiKeyAuth}: core's `VerifyOptions` plus what only a middleware can decide. */
export interface ApiKeyAuthOptions extends VerifyOptions {
	/**
	 * Let requests that carry no credentials at all through, without `ctx.state.apiKey`. A request with a
	 * bad, revoked or ambiguous key is still refused: "optional" never means "any key will do".
	 * @defaultValue false
	 */
	optional?: boolean | undefined
	/**
	 * Return `true` (or a promise of it) to pass a request on without looking at its credentials,
	 * e.g. for a health check. A throwing `skip` goes to Koa's error handling.
	 * @defaultValue none (every request is authenticated)
	 */
	skip?: ((ctx: Context) => boolean | Promise<boolean>) | undefined
	/**
	 * CORS preflights (`OPTIONS` with `Access-Control-Request-Method`) never carry credentials, so by
	 * default (`'skip'`) they go to `next()` untouched for a CORS middleware to answer.
	 * `'authenticate'` treats them like any other request.
	 * @defaultValue 'skip'
	 */
	preflight?: 'skip' | 'authenticate' | undefined
}

/** {@link ApiKeyAuthOptions} after validation. */
export interface ResolvedOptions {
	readonly optional: boolean
	readonly skip: ApiKeyAuthOptions['skip']
	readonly authenticatePreflight: boolean
	readonly verify: Readonly<VerifyOptions>
}

const KNOWN = ['scopes', 'hideCredentials', 'cost', 'optional', 'skip', 'preflight']

function fail(message: string): never {
	throw new KeywardError('invalid_option', message)
}

/**
 * Validate `apiKeyAuth`'s arguments eagerly, so a typo fails at start-up rather than on the first
 * request, and split them into what the middleware decides and what core's `verify` receives.
 */
export function resolveOptions(keyward: Keyward, options: Readonly<ApiKeyAuthOptions>): ResolvedOptions {
	if (typeof keyward?.verify !== 'function' || typeof keyward.hideQueryCredentials !== 'function') {
		throw new KeywardError('invalid_argument', 'apiKeyAuth expects a keyward instance from createKeyward()')
	}
	if (typeof options !== 'object' || options === null) fail('apiKeyAuth options must be an object')
	rejectUnknownOptions(options, KNOWN, 'apiKeyAuth options')
	const { optional, skip, preflight, ...verify } = options
	if (optional !== undefined && typeof optional !== 'boolean') fail('optional must be true or false')
	if (skip !== undefined && typeof skip !== 'function') fail('skip must be a function')
	if (preflight !== undefined && preflight !== 'skip' && preflight !== 'authenticate') {
		fail('preflight must be "skip" or "authenticate"')
	}
	return {
		optional: optional ?? false,
		skip,
		authenticatePreflight: preflight === 'authenticate',
		verify: resolveVerifyOptions(verify),
	}
}
