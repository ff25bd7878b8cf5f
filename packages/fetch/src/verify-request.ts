import { type KeyInfo, type Keyward, KeywardError, type VerifyFailure } from '@keyward/core'
import { createAuthenticator, type FrameworkBinding, type MiddlewareOptions } from '@keyward/core/adapter'
import { RequestView } from './request-view.js'
import { refusalResponse, withoutCredentials } from './responses.js'

/** The `skip` option: called with the Web request. */
export type SkipRequest = (request: Request) => boolean | Promise<boolean>

/** Options of {@link createRequestVerifier}: those of every keyward adapter, plus `client`. */
export interface RequestVerifierOptions extends MiddlewareOptions<SkipRequest> {
	/**
	 * The client address, for the keyward's `failureLimit`: a Web request does not carry one (Bun:
	 * `server.requestIP(request)?.address`; Deno: the handler's `info.remoteAddr.hostname`; behind a
	 * proxy you trust, the last `X-Forwarded-For` entry). Without it, no failure limit applies.
	 * @defaultValue none
	 */
	client?: ((request: Request) => string | undefined) | undefined
}

/** What {@link createRequestVerifier}'s function answers: go on, or return `response`. */
export type RequestVerification =
	| {
			readonly ok: true
			/** The verified key; `undefined` for a skipped request, a preflight, or `optional` without credentials. */
			readonly key: KeyInfo | undefined
			/**
			 * The request to go on with: without the key (a new `Request` when the key came in the
			 * query, or in a header under `hideCredentials: true`), else the request itself.
			 */
			readonly request: Request
			/** Headers for the response (RateLimit, for keys with a quota); may be empty. */
			readonly headers: Readonly<Record<string, string>>
	  }
	| {
			readonly ok: false
			/** The refusal, ready to return: JSON `{ detail, code }` with its status and headers. */
			readonly response: Response
			/** What core decided, for logs and metrics. Never holds key material. */
			readonly refusal: VerifyFailure
	  }

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({})

/** One request being verified: core's view of it, and what the binding learns. */
class Verification extends RequestView {
	key: KeyInfo | undefined = undefined
	headersOut = NO_HEADERS
	refusal: VerifyFailure | undefined = undefined
	hidden: Request | undefined = undefined
}

/**
 * Verify Web `Request`s with keyward, for any fetch-style handler (Next.js route handlers and
 * middleware, Remix and SvelteKit loaders, Bun and Deno servers). Options are validated at once:
 * an unknown or invalid option throws `KeywardError('invalid_option')`. The function never
 * throws for request input (a throwing `skip` or `client` rejects it).
 *
 * A Web request cannot be edited, so hiding means: when the key came in the query (or in a
 * header under `hideCredentials: true`), `result.request` is a copy without it, and the code
 * after authentication should use that copy, not the original. What the runtime or a framework
 * logged of the original before this ran is out of reach.
 * @param keyward - the verifier from `createKeyward()`
 * @param options - see {@link RequestVerifierOptions}
 * @example
 * const verify = createRequestVerifier(keyward, { scopes: ['reports:read'] })
 * export async function GET(request: Request) {
 *   const result = await verify(request)
 *   if (!result.ok) return result.response
 *   return Response.json({ owner: result.key?.owner }, { headers: result.headers })
 * }
 */
export function createRequestVerifier(
	keyward: Keyward,
	options: Readonly<RequestVerifierOptions> = {},
): (request: Request) => Promise<RequestVerification> {
	return verifierNamed('createRequestVerifier', keyward, options)
}

/** {@link createRequestVerifier}, naming itself `name` in option errors. */
export function verifierNamed(
	name: string,
	keyward: Keyward,
	options: Readonly<RequestVerifierOptions>,
): (request: Request) => Promise<RequestVerification> {
	const client = options?.client
	if (client !== undefined && typeof client !== 'function') {
		throw new KeywardError('invalid_option', 'client must be a function')
	}
	const binding: FrameworkBinding<Verification, SkipRequest> = {
		name,
		options: ['client'],
		request: (verification) => verification,
		client: (verification) => client?.(verification.request),
		skip: (skip, verification) => skip(verification.request),
		hide(verification, hide) {
			verification.hidden = withoutCredentials(verification.request, hide)
		},
		accept(verification, result) {
			verification.key = result.key
			verification.headersOut = result.headers
		},
		key: (verification) => verification.key,
		refuse(verification, refusal) {
			verification.refusal = refusal
		},
	}
	const authenticate = createAuthenticator(keyward, options, binding)
	return async function verifyRequest(request) {
		const verification = new Verification(request)
		if (!(await authenticate(verification))) {
			const refusal = verification.refusal as VerifyFailure
			return { ok: false, response: refusalResponse(refusal), refusal }
		}
		const { key, hidden, headersOut } = verification
		return { ok: true, key, request: hidden ?? request, headers: headersOut }
	}
}
