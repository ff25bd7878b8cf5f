import type { SessionBinding } from './session-http.js'
import type { CredentialHiding, KeyInfo, NodeRequest, VerifyFailure, VerifySuccess } from './types.js'

/**
 * What core needs to know of a framework to run `apiKeyAuth` and `requireScopes` in it: how to
 * read its request and write its response. `C` is what the framework hands a middleware (Express
 * `req`, Koa `ctx`, Node's `req`); `Skip` is the signature of the `skip` option.
 */
export interface FrameworkBinding<C, Skip> {
	/** The middleware's name in option errors: `'apiKeyAuth'`. */
	readonly name: string
	/** Option names the adapter adds and reads itself (a Web adapter's `client`); core lets them pass. */
	readonly options?: readonly string[] | undefined
	/** The Node request of `context`. */
	request(context: C): NodeRequest
	/** The client address, honouring the framework's trust-proxy setting; read only for a `failureLimit`. */
	client(context: C): string | undefined
	/** Call the user's `skip` with the framework's arguments. */
	skip(skip: Skip, context: C): boolean | Promise<boolean>
	/** Remove a credential from every copy of the request the framework keeps. */
	hide(context: C, hide: CredentialHiding): void
	/** A verified request: expose `result.key` to handlers and send `result.headers`. */
	accept(context: C, result: VerifySuccess): void
	/** The key a verified request carries, for `requireScopes`. */
	key(context: C): KeyInfo | undefined
	/** Answer `refusal`: its status, headers, and the JSON body `{ detail, code }`. */
	refuse(context: C, refusal: VerifyFailure): void
	/**
	 * What sessions need of the framework (the `session` option of `apiKeyAuth`, `sessionLogin`,
	 * `sessionLogout`); an adapter without it cannot take the `session` option.
	 */
	readonly session?: SessionBinding<C> | undefined
}
