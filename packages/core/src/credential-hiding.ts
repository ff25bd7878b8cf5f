import type { Extraction } from './extract.js'
import type { CredentialHiding, HideCredentials } from './types.js'

const NO_HEADERS: readonly string[] = Object.freeze([])

/**
 * The hiding a request needs after `found` was extracted from it under `mode`, or `undefined`
 * when nothing needs hiding (the common case: a key in a header, hidden only from the query).
 * @param credentialHeaders - every header that can carry a key, for ambiguous requests
 */
export function planHiding(
	found: Extraction,
	url: string | undefined,
	headers: Readonly<Record<string, unknown>>,
	mode: HideCredentials,
	stripUrl: (url: string) => string,
	credentialHeaders: readonly string[],
): CredentialHiding | undefined {
	if (mode === false || found.kind === 'none') return undefined
	const stripped = typeof url === 'string' ? stripUrl(url) : url
	const hiddenUrl = stripped !== url ? stripped : undefined
	let dropped = NO_HEADERS
	if (mode === true && found.kind === 'ambiguous') {
		dropped = credentialHeaders.filter((name) => headers[name] !== undefined)
	} else if (mode === true && found.kind !== 'ambiguous') {
		const name = found.source === 'authorization' ? 'authorization' : found.header
		if (name !== undefined) dropped = [name]
	}
	if (hiddenUrl === undefined && dropped.length === 0) return undefined
	return { url: hiddenUrl, headers: dropped, stripUrl }
}

/** The copies of a request Node (and Express, with `originalUrl`) keep. */
export interface RequestCopies {
	url?: string | undefined
	/** Express's copy of the URL before routing. */
	originalUrl?: string | undefined
	headers: Record<string, string | string[] | undefined>
	/** Node's second copy of the headers, which loggers may print. */
	rawHeaders?: readonly string[] | undefined
}

/** Delete a header from `headers` and from `rawHeaders`. */
function dropHeader(req: RequestCopies, name: string): void {
	delete req.headers[name]
	const raw = req.rawHeaders
	if (!Array.isArray(raw)) return
	const kept: string[] = []
	for (let i = 0; i < raw.length; i += 2) {
		if ((raw[i] as string).toLowerCase() !== name) kept.push(raw[i] as string, raw[i + 1] as string)
	}
	if (kept.length !== raw.length) req.rawHeaders = kept
}

/**
 * Apply `hide` (from a `VerifyResult`) to a Node request: `url`, Express's `originalUrl` (Express
 * 5 derives `req.query` from `url` on every read), `headers` and `rawHeaders`. No-op for `undefined`.
 * @example
 * const result = await keyward.verify(req)
 * hideCredentials(req, result.hide)
 */
export function hideCredentials(req: RequestCopies, hide: CredentialHiding | undefined): void {
	if (hide === undefined) return
	if (hide.url !== undefined) {
		req.url = hide.url
		if (typeof req.originalUrl === 'string') req.originalUrl = hide.stripUrl(req.originalUrl)
	}
	for (const name of hide.headers) dropHeader(req, name)
}

/** The copies of the URL a Koa context keeps (`ctx.url`, `ctx.querystring` and `ctx.path` read `ctx.req.url`). */
export interface KoaContextCopies {
	req: RequestCopies
	originalUrl: string
	request: { originalUrl: string; readonly URL: unknown }
}

/**
 * Apply `hide` to a Koa context: the Node request, `ctx.originalUrl` and `ctx.request.originalUrl`
 * (`ctx.href` is built from them), and the parsed `ctx.URL`, which Koa keeps once read.
 */
export function hideCredentialsInKoa(ctx: KoaContextCopies, hide: CredentialHiding | undefined): void {
	if (hide === undefined) return
	hideCredentials(ctx.req, hide)
	if (hide.url === undefined) return
	const original = hide.stripUrl(ctx.originalUrl)
	ctx.originalUrl = original
	ctx.request.originalUrl = original
	// Reading `URL` parses the stripped copy when nothing read it yet; a copy parsed earlier is edited.
	const parsed = ctx.request.URL
	if (parsed instanceof URL) parsed.href = hide.stripUrl(parsed.href)
}
