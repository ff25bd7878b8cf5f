import type { IncomingMessage, ServerResponse } from 'node:http'
import type { KeyInfo, Keyward } from '@keyward/core'
import {
	createAuthenticator,
	createScopeGuard,
	type FrameworkBinding,
	hideCredentials,
	type MiddlewareOptions,
	refusalBody,
} from '@keyward/core/adapter'

declare module 'node:http' {
	interface IncomingMessage {
		/** Public info of the verified key, set by {@link apiKeyAuth}. */
		apiKey?: KeyInfo | undefined
	}
}

/** A step of a plain `node:http` handler: `true` to go on, `false` when it answered the request. */
export type Step = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>

type Skip = (req: IncomingMessage) => boolean | Promise<boolean>

/** Answer JSON with a length, so the connection can carry the next request. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers = {}): void {
	const text = JSON.stringify(body)
	const length = Buffer.byteLength(text)
	res
		.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': length })
		.end(text)
}

/** `node:http` as core sees it: the response is the context (`res.req` is its request). */
const nodeHttp: FrameworkBinding<ServerResponse, Skip> = {
	name: 'apiKeyAuth',
	request: (res) => res.req,
	// No proxy in front: the socket's peer. Behind one, read X-Forwarded-For from proxies you trust.
	client: (res) => res.req.socket.remoteAddress,
	skip: (skip, res) => skip(res.req),
	hide: (res, hide) => hideCredentials(res.req, hide),
	accept(res, result) {
		res.req.apiKey = result.key
		for (const [name, value] of Object.entries(result.headers)) res.setHeader(name, value)
	},
	key: (res) => res.req.apiKey,
	refuse(res, refusal) {
		sendJson(res, refusal.status, refusalBody(refusal), refusal.headers)
	},
}

/**
 * Verify the request's API key: `req.apiKey` on success, else a JSON refusal.
 * @example
 * const auth = apiKeyAuth(keyward)
 * createServer(async (req, res) => { if (await auth(req, res)) res.end(`hello ${req.apiKey?.owner}`) })
 */
export function apiKeyAuth(keyward: Keyward, options: Readonly<MiddlewareOptions<Skip>> = {}): Step {
	const authenticate = createAuthenticator(keyward, options, nodeHttp)
	return (_req, res) => authenticate(res)
}

/** Require every one of `scopes` on `req.apiKey` (401 without a key, 403 without a scope). */
export function requireScopes(...scopes: string[]): Step {
	const guard = createScopeGuard(scopes, nodeHttp)
	return (_req, res) => guard(res)
}

/** Run `steps` in order until one answers the request. */
export async function runSteps(req: IncomingMessage, res: ServerResponse, steps: Step[]): Promise<boolean> {
	for (const step of steps) if (!(await step(req, res))) return false
	return true
}
