import { type CredentialHiding, hideCredentials } from '@keyward/core/adapter'
import type { FastifyRequest } from 'fastify'

/** The pairs of a URL's query string, `''` when it has none. */
function queryPairs(url: string): string[] {
	const mark = url.indexOf('?')
	if (mark === -1) return []
	const hash = url.indexOf('#', mark)
	return url.slice(mark + 1, hash === -1 ? undefined : hash).split('&')
}

function decodeName(name: string): string {
	try {
		return decodeURIComponent(name.replace(/\+/g, ' '))
	} catch {
		return name
	}
}

/**
 * The names, in every form a query parser may have stored them under, of the pairs present in
 * `before` and gone from `after`: raw (`api%5Fkey`), decoded (`api_key`, `api_key[x]`) and the
 * name before a bracket (`api_key`, where `qs` nests `api_key[x]`).
 */
function removedNames(before: string, after: string): Set<string> {
	const kept = new Set(queryPairs(after))
	const names = new Set<string>()
	for (const pair of queryPairs(before)) {
		if (kept.has(pair)) continue
		const eq = pair.indexOf('=')
		const raw = eq === -1 ? pair : pair.slice(0, eq)
		for (const name of [raw, decodeName(raw)]) {
			names.add(name)
			const bracket = name.indexOf('[')
			if (bracket !== -1) names.add(name.slice(0, bracket))
		}
	}
	return names
}

/**
 * Apply `hide` to every copy of the request Fastify keeps: the Node request (`request.url` and
 * `request.headers` read it), `request.originalUrl` (memoized by Fastify once read, so a copy read
 * earlier is replaced) and `request.query`, which Fastify parsed while routing, before any hook:
 * whatever the configured query parser, the entries of the removed parameters are deleted.
 */
export function hideCredentialsInFastify(request: FastifyRequest, hide: CredentialHiding): void {
	const before = request.raw.url ?? ''
	hideCredentials(request.raw, hide)
	if (hide.url === undefined) return
	const original = request.originalUrl
	const stripped = hide.stripUrl(original)
	if (stripped !== original) {
		Object.defineProperty(request, 'originalUrl', { value: stripped, configurable: true, writable: true })
	}
	const query = request.query
	if (typeof query !== 'object' || query === null) return
	for (const name of removedNames(before, hide.url)) delete (query as Record<string, unknown>)[name]
}
