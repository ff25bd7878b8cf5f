export { createAuthenticator, createScopeGuard } from './authenticator.js'
export {
	cookieValues,
	isLocalPlainHttp,
	type SetCookie,
	serializeCookie,
} from './cookies.js'
export {
	hideCredentials,
	hideCredentialsInKoa,
	type KoaContextCopies,
	type RequestCopies,
} from './credential-hiding.js'
export { isSameOriginRequest, type SameOriginCheck } from './cross-site.js'
export type { FrameworkBinding } from './framework-binding.js'
export {
	type BodySource,
	KEY_MANAGEMENT_BODY_LIMIT,
	readKeyManagementBody,
	readKeyManagementBodyFrom,
} from './key-management-body.js'
export { createLogRedactor } from './log-redaction.js'
export {
	isPreflight,
	type MiddlewareHost,
	type MiddlewareOptions,
	passMissing,
	type ResolvedMiddlewareOptions,
	refusalBody,
	resolveMiddlewareOptions,
	resolveScopes,
	resolveVerifyOptions,
	scopeRefusal,
	setHeaders,
} from './middleware.js'
export { rejectUnknownOptions } from './options.js'
export {
	hasRequestBody,
	isJsonMediaType,
	mediaTypeOf,
	type RequestBody,
	readRequestBody,
	type WithHeaders,
} from './request-body.js'
export { SCOPE_PATTERN, scopeGrants } from './scopes.js'
export { createSessionLogin, createSessionLogout } from './session-endpoints.js'
export type { SessionAnswer, SessionBinding } from './session-http.js'
export type { SessionAuthOptions, SessionCookieOptions } from './session-options.js'
export type { CredentialHiding, NodeRequest } from './types.js'
