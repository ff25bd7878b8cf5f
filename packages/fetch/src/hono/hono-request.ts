import { type CredentialHiding, hideCredentials, type RequestCopies } from '@keyward/core/adapter'
import type { Context } from 'hono'
import { RequestView } from '../request-view.js'
import { withoutCredentials } from '../responses.js'

/** How a Hono middleware finds the client address, for the keyward's `failureLimit` and audit entries. */
export type ClientOf = (c: Context) => string | undefined

/** The Node request `@hono/node-server` passes as `c.env.incoming`, when the app runs there. */
function nodeRequestOf(c: Context): RequestCopies | undefined {
	const incoming = (c.env as { incoming?: Partial<RequestCopies> } | undefined)?.incoming
	return typeof incoming?.url === 'string' && typeof incoming.headers === 'object'
		? (incoming as RequestCopies)
		: undefined
}

/** A Node response that has not started: where `@hono/node-server` will write `c`'s answer. */
type NodeResponse = { setHeader(name: string, value: string): unknown; headersSent: boolean }

/**
 * The Node response `@hono/node-server` passes as `c.env.outgoing`, while nothing has been sent on
 * it; `undefined` on other runtimes (Bun, Deno, workers, `app.request()`).
 */
export function nodeResponseOf(c: Context): NodeResponse | undefined {
	const outgoing = (c.env as { outgoing?: Partial<NodeResponse> } | undefined)?.outgoing
	return typeof outgoing?.setHeader === 'function' && outgoing.headersSent === false
		? (outgoing as NodeResponse)
		: undefined
}

/**
 * The peer address of the socket when the app runs on `@hono/node-server` (the client itself, or
 * the proxy in front of it); `undefined` elsewhere.
 */
export const socketAddress: ClientOf = (c) =>
	(c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket
		?.remoteAddress

/**
 * Apply `hide` to what Hono exposes of the request. `c.req.url`, `c.req.query()` and
 * `c.req.header()` read `c.req.raw`, a Web request that cannot be edited: it is replaced by a copy
 * without the credentials. On `@hono/node-server` the Node request in `c.env.incoming` is cleaned
 * too. A copy of the URL taken before this ran (`hono/logger` takes one) keeps the key.
 */
export function hideCredentialsInHono(c: Context, hide: CredentialHiding): void {
	c.req.raw = withoutCredentials(c.req.raw, hide)
	const incoming = nodeRequestOf(c)
	if (incoming === undefined) return
	const url = hide.url === undefined ? undefined : hide.stripUrl(incoming.url ?? '')
	hideCredentials(incoming, { url, headers: hide.headers, stripUrl: hide.stripUrl })
}

/** A Hono request as core reads it, with the context its binding answers through. */
export class HonoRequestView extends RequestView {
	readonly c: Context
	/** RateLimit headers to add to the app's answer once it is made, where there is no Node response. */
	answerHeaders: Readonly<Record<string, string>> | undefined = undefined
	constructor(c: Context) {
		super(c.req.raw)
		this.c = c
	}
}

const VIEW: unique symbol = Symbol('keyward.view')

type WithView = Context & { [VIEW]?: HonoRequestView }

/** A view of the request as it is now, kept on `c` for a later {@link viewOf}. */
export function newViewOf(c: Context): HonoRequestView {
	const view = new HonoRequestView(c)
	;(c as WithView)[VIEW] = view
	return view
}

/** The view `apiKeyAuth` made of `c` (where an optional one left its refusal), or a new one. */
export function viewOf(c: Context): HonoRequestView {
	return (c as WithView)[VIEW] ?? newViewOf(c)
}
