import { STATUS_CODES } from 'node:http'
import type { Keyward } from '@keyward/core'
import { createLogRedactor } from '@keyward/core/adapter'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'

/**
 * What the `req` serializer of {@link createLogSerializers} logs: Fastify's default fields. A type
 * rather than an interface, so that it fits the index signature of Fastify's serializer type.
 */
export type LoggedRequest = {
	method: string
	/** The URL without the keyward's query credential, and with key-shaped text redacted. */
	url: string
	/** The `Accept-Version` header. */
	version?: string
	host: string
	remoteAddress?: string
	remotePort?: number
}

/**
 * Log serializers that keep API keys out of Fastify's request logs. Fastify writes its
 * "incoming request" line while routing, before any hook runs, so no hook can hide a key sent
 * in the query from it; this `req` serializer logs Fastify's default fields with the keyward's
 * query parameter removed from the URL and key-shaped text redacted. Pass them to the logger
 * when creating the app.
 * @param keyward - the keyward whose query parameter and key format are redacted
 * @example
 * const app = Fastify({ logger: { serializers: createLogSerializers(keyward) } })
 */
export function createLogSerializers(keyward: Keyward): { req: (request: FastifyRequest) => LoggedRequest } {
	const redact = createLogRedactor(keyward)
	return {
		req(request) {
			const logged: LoggedRequest = { method: request.method, url: redact(request.url), host: request.host }
			const version = request.headers?.['accept-version']
			if (typeof version === 'string') logged.version = version
			const { ip, socket } = request
			if (ip !== undefined) logged.remoteAddress = ip
			if (socket?.remotePort !== undefined) logged.remotePort = socket.remotePort
			return logged
		},
	}
}

/**
 * A `frameworkErrors` handler for Fastify. Fastify answers a request whose path its router
 * cannot decode (`/%zz?api_key=...`) itself, before any hook, with a 400 whose message quotes the
 * whole request target, query included. This handler answers the same JSON with the keyward's
 * query parameter removed from the message and key-shaped text redacted.
 * @param keyward - the keyward whose query parameter and key format are redacted
 * @example
 * const app = Fastify({ frameworkErrors: createFrameworkErrorHandler(keyward) })
 */
export function createFrameworkErrorHandler(
	keyward: Keyward,
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
	const redact = createLogRedactor(keyward)
	return function keywardFrameworkErrors(error, _request, reply) {
		const statusCode = error.statusCode ?? 400
		reply.code(statusCode).send({
			error: STATUS_CODES[statusCode] ?? 'Error',
			code: error.code,
			message: redact(error.message),
			statusCode,
		})
	}
}
