import type { Keyward } from '@keyward/core'
import type { FastifyPluginCallback } from 'fastify'
import fp from 'fastify-plugin'
import { type ApiKeyAuthOptions, apiKeyAuth } from './api-key-auth.js'

/** Options of {@link keywardAuth}: the keyward to verify with, and the options of `apiKeyAuth`. */
export interface KeywardAuthOptions extends ApiKeyAuthOptions {
	/** The verifier from `createKeyward()`. */
	keyward: Keyward
}

const keywardAuthPlugin: FastifyPluginCallback<KeywardAuthOptions> = (instance, options, done) => {
	// Fastify hands its own register options to every plugin: they are not ours to validate.
	const {
		keyward,
		prefix: _prefix,
		logLevel: _logLevel,
		logSerializers: _serializers,
		...auth
	} = options as KeywardAuthOptions & Record<'prefix' | 'logLevel' | 'logSerializers', unknown>
	let hook: ReturnType<typeof apiKeyAuth>
	try {
		hook = apiKeyAuth(keyward, auth)
	} catch (error) {
		// Fastify fails `ready()` with it; a throw here would escape its plugin loader.
		return done(error as Error)
	}
	// A stable request shape: Fastify adds `apiKey` to every request object it builds.
	if (!instance.hasRequestDecorator('apiKey')) instance.decorateRequest('apiKey', undefined)
	instance.addHook('onRequest', hook)
	done()
}

/**
 * Fastify plugin: authenticate every route of the context it is registered in (and of the
 * contexts nested in it) with {@link apiKeyAuth}, and declare `request.apiKey`. It is wrapped with
 * `fastify-plugin`, so its hook applies to the context that registers it, not to a context of
 * its own; Fastify's encapsulation does the rest: registered inside `app.register(async (api) =>
 * ...)`, it protects the routes of `api` and leaves sibling contexts alone.
 *
 * Options are validated when the plugin loads: an unknown or invalid option fails `app.ready()`
 * (and `await app.register(...)`) with `KeywardError('invalid_option')`.
 * @example
 * await app.register(async (api) => {
 *   await api.register(keywardAuth, { keyward })
 *   api.get('/reports', { preHandler: requireScopes('reports:read') }, async (request) => request.apiKey)
 * }, { prefix: '/api' })
 */
export const keywardAuth = fp(keywardAuthPlugin, { fastify: '5.x', name: '@keyward/fastify' })
