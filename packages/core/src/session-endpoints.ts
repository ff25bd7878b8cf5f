import type { IncomingMessage } from 'node:http'
import { isSameOriginRequest } from './cross-site.js'
import { isKeywardError, KeywardError } from './errors.js'
import type { Keyward } from './keyward.js'
import { refusalBody } from './middleware.js'
import { hasRequestBody, isJsonMediaType, mediaTypeOf, readRequestBody } from './request-body.js'
import { CROSS_ORIGIN, type SessionAnswer, type SessionBinding } from './session-http.js'
import {
	clearedSessionCookie,
	resolveSessionOptions,
	type SessionCookieOptions,
	sessionCookie,
	sessionTokens,
} from './session-options.js'
import type { VerifyFailure } from './types.js'
import { REJECTIONS } from './wire.js'

/** Largest login body read; the key and a user name fit many times over. */
export const LOGIN_BODY_LIMIT = 8192

const NO_STORE = Object.freeze({ 'Cache-Control': 'no-store' })

/** What a login body holds: `api_key`, and optionally `username`. */
interface LoginFields {
	readonly apiKey: string | undefined
	readonly username: string | undefined
}

const NO_FIELDS: LoginFields = Object.freeze({ apiKey: undefined, username: undefined })

function answer(status: number, body: unknown, extra: Readonly<Record<string, string>> = {}): SessionAnswer {
	return { status, headers: { ...NO_STORE, ...extra }, cookies: [], body }
}

const BAD_BODY = answer(400, { detail: 'Invalid login request', code: 'invalid_request' })
const WRONG_TYPE = answer(415, {
	detail: 'Send the login as a form or as JSON',
	code: 'unsupported_media_type',
})
// The rest of a too-large body was never read: the connection cannot carry another request.
const TOO_LARGE = answer(
	413,
	{ detail: 'Request body too large', code: 'payload_too_large' },
	{ Connection: 'close' },
)
const NOT_POST = answer(405, { detail: 'Use POST', code: 'method_not_allowed' }, { Allow: 'POST' })

/** A refusal as a session answer: its status and headers, `{ detail, code }`, and `cookies` to set. */
export function sessionRefusal(result: VerifyFailure, cookies: readonly string[] = []): SessionAnswer {
	return {
		status: result.status,
		headers: { ...result.headers, ...NO_STORE },
		cookies,
		body: refusalBody(result),
	}
}

/** The fields of a JSON object or a parsed form; `null` when a field is not a single string. */
function fieldsOf(value: unknown): LoginFields | null {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
	const { api_key: apiKey, username } = value as Record<string, unknown>
	if (apiKey !== undefined && typeof apiKey !== 'string') return null
	if (username !== undefined && typeof username !== 'string') return null
	return { apiKey, username: username === '' ? undefined : username }
}

/** The fields of a body's text of media type `type`. Repeated form fields are refused, never picked. */
function fromText(text: string, type: string): LoginFields | SessionAnswer {
	if (text.trim() === '') return NO_FIELDS
	if (isJsonMediaType(type)) {
		try {
			return fieldsOf(JSON.parse(text)) ?? BAD_BODY
		} catch {
			return BAD_BODY
		}
	}
	if (type !== 'application/x-www-form-urlencoded') return WRONG_TYPE
	const params = new URLSearchParams(text)
	for (const name of ['api_key', 'username']) if (params.getAll(name).length > 1) return BAD_BODY
	return fieldsOf(Object.fromEntries(params)) ?? BAD_BODY
}

/**
 * The login fields of `req`: from `parsed` when a body parser of the application left one, else
 * read here (at most {@link LOGIN_BODY_LIMIT} bytes, never past it), as JSON or a form.
 */
async function readLogin(req: IncomingMessage, parsed: unknown): Promise<LoginFields | SessionAnswer> {
	const type = mediaTypeOf(req)
	if (typeof parsed === 'string') return fromText(parsed, type)
	if (Buffer.isBuffer(parsed)) return fromText(parsed.toString('utf8'), type)
	if (parsed !== undefined) return fieldsOf(parsed) ?? BAD_BODY
	if (!hasRequestBody(req)) return NO_FIELDS
	// Something read the stream without leaving a parsed body: what was sent is unknown.
	if (req.readableEnded) return BAD_BODY
	const body = await readRequestBody(req, LOGIN_BODY_LIMIT)
	if (!body.ok) return body.reason === 'too_large' ? TOO_LARGE : BAD_BODY
	return fromText(body.text, type)
}

function isAnswer(value: LoginFields | SessionAnswer): value is SessionAnswer {
	return 'status' in value
}

function checkKeyward(keyward: Keyward, name: string): void {
	if (typeof keyward?.createSession !== 'function')
		throw new KeywardError('invalid_argument', `${name} expects a keyward from createKeyward()`)
}

/**
 * What login and logout refuse before anything else: another method than `POST` (405), or a page
 * of another origin than the request's own and `trustedOrigins` (403 `cross_origin`: CSRF).
 */
function precheck(
	req: IncomingMessage,
	origin: string,
	trustedOrigins: readonly string[],
): SessionAnswer | undefined {
	if (req.method !== 'POST') return NOT_POST
	if (!isSameOriginRequest({ headers: req.headers, origin, trustedOrigins }))
		return sessionRefusal(CROSS_ORIGIN)
	return undefined
}

/**
 * An adapter's `sessionLogin`, framework-free: `POST` a form or JSON with `api_key` (and optionally
 * `username`, which must be the key's owner) and get the session cookie and `{ keyId, owner, scopes,
 * expiresAt }`, or the refusal a request with that key would get (a wrong user name: exactly that of
 * an unknown key). The login must come from a page of this origin or a trusted one, or from no
 * browser at all (login CSRF: another site's form cannot log a visitor in as someone else).
 * Options are validated at once.
 * @example
 * const login = createSessionLogin(keyward, { cookie: 'kw_session' }, binding)
 * app.post('/login', (req) => login(req))
 */
export function createSessionLogin<C>(
	keyward: Keyward,
	options: Readonly<SessionCookieOptions>,
	binding: SessionBinding<C>,
): (context: C) => Promise<void> {
	checkKeyward(keyward, 'sessionLogin')
	const resolved = resolveSessionOptions(options, 'sessionLogin options', false)
	const { trustedOrigins, lifetimeMs } = resolved

	async function login(context: C): Promise<SessionAnswer> {
		const req = binding.request(context)
		const origin = binding.origin(context)
		const refused = precheck(req, origin, trustedOrigins)
		if (refused !== undefined) return refused
		const fields = await readLogin(req, binding.body(context))
		if (isAnswer(fields)) return fields
		const created = await keyward.createSession(fields.apiKey ?? '', {
			username: fields.username,
			lifetimeMs,
			client: binding.client(context),
		})
		if (!created.ok) return sessionRefusal(created)
		const { key, expiresAt } = created
		return {
			status: 200,
			headers: NO_STORE,
			cookies: [sessionCookie(resolved, created, origin)],
			body: { keyId: key.id, owner: key.owner, scopes: key.scopes, expiresAt: expiresAt.toISOString() },
		}
	}

	return async function sessionLogin(context) {
		binding.respond(context, await login(context))
	}
}

/**
 * An adapter's `sessionLogout`, framework-free: `POST` ends the session of the request's cookie
 * on the server (every instance: `keyward.endSession`), clears the cookie, and answers
 * `{ ended }`. From pages of this origin or trusted ones only. A store failure answers 503 and
 * keeps the cookie, so the logout can be tried again.
 */
export function createSessionLogout<C>(
	keyward: Keyward,
	options: Readonly<SessionCookieOptions>,
	binding: SessionBinding<C>,
): (context: C) => Promise<void> {
	checkKeyward(keyward, 'sessionLogout')
	const resolved = resolveSessionOptions(options, 'sessionLogout options', false)
	const unavailable = answer(503, { detail: REJECTIONS.unavailable.detail, code: 'unavailable' })

	async function logout(context: C): Promise<SessionAnswer> {
		const req = binding.request(context)
		const origin = binding.origin(context)
		const refused = precheck(req, origin, resolved.trustedOrigins)
		if (refused !== undefined) return refused
		let ended = false
		try {
			for (const token of sessionTokens(req.headers, resolved)) {
				if (await keyward.endSession(token, { client: binding.client(context) })) ended = true
			}
		} catch (error) {
			if (isKeywardError(error, 'store_unavailable')) return unavailable
			throw error
		}
		return {
			status: 200,
			headers: NO_STORE,
			cookies: [clearedSessionCookie(resolved, origin)],
			body: { ended },
		}
	}

	return async function sessionLogout(context) {
		binding.respond(context, await logout(context))
	}
}
