import { KeywardError } from './errors.js'
import type { FrameworkBinding } from './framework-binding.js'
import type { Keyward } from './keyward.js'
import {
	isPreflight,
	type MiddlewareOptions,
	passMissing,
	resolveMiddlewareOptions,
	resolveScopes,
	scopeRefusal,
} from './middleware.js'
import { requestPathOf } from './request-path.js'
import { createSessionAuthentication, type SessionAuthentication } from './session-auth.js'
import type { NodeRequest, VerifyFailure, VerifySuccess } from './types.js'

/** The context of a request being verified, kept on its Node request for the client reader. */
const CONTEXT: unique symbol = Symbol('keyward.context')

type WithContext<C> = { [CONTEXT]?: C }

/**
 * An adapter's `apiKeyAuth`, framework-free: options are validated at once; the function answers
 * `true` when the middleware should go on (verified, skipped, a preflight, or optional without
 * credentials) and `false` when it answered the request with a refusal. Core decides; the binding
 * translates. The answer is a boolean when it is known at once (a cached key counted without I/O:
 * most requests), else a promise of one; errors always come as a rejected promise.
 * @example
 * const authenticate = createAuthenticator(keyward, options, expressBinding)
 * return (req, _res, next) => {
 *   const go = authenticate(req)
 *   if (go === true) next()
 *   else if (go !== false) return go.then((ok) => { if (ok) next() })
 * }
 */
export function createAuthenticator<C, Skip>(
	keyward: Keyward,
	options: Readonly<MiddlewareOptions<Skip>>,
	binding: FrameworkBinding<C, Skip>,
): (context: C) => boolean | Promise<boolean> {
	const { optional, skip, authenticatePreflight, verify, session } = resolveMiddlewareOptions(
		keyward,
		options,
		{
			name: binding.name,
			options: binding.options,
			// The context is the request itself (Express), or was left on it by `authenticate`.
			client: (req) => binding.client((req as WithContext<C>)[CONTEXT] ?? (req as C)),
		},
	)
	const sessions = session === undefined ? undefined : sessionsOf(keyward, binding, session, verify)
	const verifyNow = requestPathOf(keyward)
	// The client reader needs the context only to count failures (`failureLimit`).
	const keepContext = keyward.limitsFailures !== false

	function settle(context: C, req: NodeRequest, result: VerifySuccess | VerifyFailure): boolean {
		if (result.hide !== undefined) binding.hide(context, result.hide)
		if (result.ok) {
			binding.accept(context, result)
			return true
		}
		if (optional && result.code === 'missing') {
			passMissing(req, result)
			return true
		}
		binding.refuse(context, result)
		return false
	}

	function verifyContext(context: C, req: NodeRequest): boolean | Promise<boolean> {
		if (keepContext && (req as unknown) !== context) (req as WithContext<C>)[CONTEXT] = context
		if (sessions !== undefined)
			return sessions.fromQuery(context, req) ?? verifyWithSession(context, req, sessions)
		const outcome = verifyNow(req, verify)
		// Most requests are answered here, without a promise or a closure.
		if (!(outcome instanceof Promise)) return settle(context, req, outcome)
		return outcome.then((result) => settle(context, req, result))
	}

	/** The key if the request carries one (it wins), else the session cookie if it carries one. */
	async function verifyWithSession(context: C, req: NodeRequest, sessions: SessionAuthentication<C>) {
		const result = await keyward.verify(req, verify)
		if (result.ok || result.code !== 'missing') return settle(context, req, result)
		if (result.hide !== undefined) binding.hide(context, result.hide)
		return (
			(await sessions.fromCookie(context, req, result)) ??
			settle(context, req, { ...result, hide: undefined })
		)
	}

	async function skipOrVerify(context: C, req: NodeRequest, skipped: Skip): Promise<boolean> {
		return (await binding.skip(skipped, context)) || verifyContext(context, req)
	}

	return function authenticate(context) {
		try {
			const req = binding.request(context)
			if (!authenticatePreflight && isPreflight(req)) return true
			return skip === undefined ? verifyContext(context, req) : skipOrVerify(context, req, skip)
		} catch (error) {
			return Promise.reject(error)
		}
	}
}

function sessionsOf<C, Skip>(
	keyward: Keyward,
	binding: FrameworkBinding<C, Skip>,
	session: NonNullable<ReturnType<typeof resolveMiddlewareOptions>['session']>,
	verify: ReturnType<typeof resolveMiddlewareOptions>['verify'],
): SessionAuthentication<C> {
	const sessionBinding = binding.session
	if (sessionBinding === undefined)
		throw new KeywardError(
			'invalid_option',
			`${binding.name} of this adapter does not support the session option`,
		)
	return createSessionAuthentication(keyward, session, binding, sessionBinding, verify)
}

/**
 * An adapter's `requireScopes(...scopes)`, framework-free: scopes are validated at once; the
 * function answers `true` when the key holds every scope, else answers the refusal (401 without a
 * key, 403 without a scope) and returns `false`.
 */
export function createScopeGuard<C>(
	scopes: readonly string[],
	binding: Pick<FrameworkBinding<C, unknown>, 'request' | 'key' | 'refuse'>,
): (context: C) => boolean {
	const required = resolveScopes(scopes, 'requireScopes arguments')
	return function guardScopes(context) {
		const refusal = scopeRefusal(binding.request(context), binding.key(context), required)
		if (refusal === undefined) return true
		binding.refuse(context, refusal)
		return false
	}
}
