import type { KeyInfo, Keyward } from '@keyward/core'
import {
	createAuthenticator,
	createScopeGuard,
	type FrameworkBinding,
	type MiddlewareOptions,
	refusalBody,
} from '@keyward/core/adapter'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { hideCredentialsInFastify } from './request-copies.js'

declare module 'fastify' {
	interface FastifyRequest {
		/** Public info of the verified key, set by `apiKeyAuth`; `undefined` when not authenticated. */
		apiKey?: KeyInfo | undefined
	}
}

/** The `skip` option: called with Fastify's request and reply. */
export type SkipRequest = (request: FastifyRequest, reply: FastifyReply) => boolean | Promise<boolean>

/**
 * Options of {@link apiKeyAuth}: `scopes`, `hideCredentials` and `cost` of core's `verify`, plus
 * `optional`, `skip(request, reply)` and `preflight`.
 */
export interface ApiKeyAuthOptions extends MiddlewareOptions<SkipRequest> {}

/**
 * A Fastify hook in callback style, for `addHook('onRequest', ...)` or a route's `onRequest` or
 * `preHandler`. A refused request is answered and the hook never calls `done`, so nothing after
 * it runs (with async `onSend` hooks an async hook would let the chain go on before the reply ends).
 */
export type KeywardHook = (
	request: FastifyRequest,
	reply: FastifyReply,
	done: HookHandlerDoneFunction,
) => void

/**
 * Fastify as core sees it. The context is the reply, whose `request` is Fastify's request and
 * whose `request.raw` is the Node request core reads.
 */
const fastify: FrameworkBinding<FastifyReply, SkipRequest> = {
	name: 'apiKeyAuth',
	request: (reply) => reply.request.raw,
	// Honours the `trustProxy` server option.
	client: (reply) => reply.request.ip,
	skip: (skip, reply) => skip(reply.request, reply),
	hide: (reply, hide) => hideCredentialsInFastify(reply.request, hide),
	accept(reply, result) {
		reply.request.apiKey = result.key
		for (const name in result.headers) reply.header(name, result.headers[name])
	},
	key: (reply) => reply.request.apiKey,
	refuse(reply, refusal) {
		reply.code(refusal.status).headers(refusal.headers).send(refusalBody(refusal))
	},
}

/**
 * Authenticate requests with keyward, as a Fastify hook. On success `request.apiKey` holds the
 * key's public info and the reply carries the key's RateLimit headers; otherwise the request is
 * answered with JSON `{ "detail": ..., "code": ... }` and the status and headers core chose
 * (`WWW-Authenticate` on 401, `Retry-After` on 429), and nothing after the hook runs. A key in
 * the query is removed from `request.url`, `request.originalUrl`, `request.raw.url` and
 * `request.query` before later hooks and handlers see the request (Fastify's own "incoming
 * request" log line is written before any hook: see `createLogSerializers`).
 *
 * Options are validated at once: an unknown or invalid option throws `KeywardError('invalid_option')`.
 * The {@link keywardAuth} plugin registers this hook and decorates `request.apiKey` for you.
 * @param keyward - the verifier from `createKeyward()`
 * @param options - see {@link ApiKeyAuthOptions}
 * @example
 * app.addHook('onRequest', apiKeyAuth(keyward, { scopes: ['read:*'] }))
 * app.get('/me', async (request) => ({ owner: request.apiKey?.owner }))
 */
export function apiKeyAuth(keyward: Keyward, options: Readonly<ApiKeyAuthOptions> = {}): KeywardHook {
	const authenticate = createAuthenticator(keyward, options, fastify)
	return function apiKeyAuthHook(_request, reply, done) {
		const go = authenticate(reply)
		// A cached key is decided at once: `done()` without waiting for a promise.
		if (go === true) done()
		else if (go !== false) go.then((ok) => (ok ? done() : undefined), done)
	}
}

/**
 * Require every one of `scopes` on the key that {@link apiKeyAuth} verified earlier: 401 `missing`
 * when the request has no `request.apiKey`, 403 `insufficient_scope` when a scope is not granted
 * (`read:*` grants `read:users`, `*` grants everything). Without arguments it only requires an
 * authenticated request, which is useful after `apiKeyAuth(keyward, { optional: true })`.
 *
 * Scopes are validated at once and throw `KeywardError('invalid_option')` when malformed.
 * @example
 * app.delete('/users/:id', { preHandler: requireScopes('users:write') }, deleteUser)
 */
export function requireScopes(...scopes: string[]): KeywardHook {
	const guard = createScopeGuard(scopes, fastify)
	return function requireScopesHook(_request, reply, done) {
		if (guard(reply)) done()
	}
}
