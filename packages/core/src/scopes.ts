import { defaultReject } from './rejections.js'
import type { KeyInfo, VerifyFailure } from './types.js'

/** Outcome of {@link checkScopes}. */
export type CheckScopesResult = { ok: true } | VerifyFailure

const OK: CheckScopesResult = Object.freeze({ ok: true })

/** A valid scope: 1-128 printable ASCII characters, no spaces, quotes or backslashes. */
export const SCOPE_PATTERN: RegExp = /^[!#-[\]-~]{1,128}$/

/**
 * `true` when `granted` covers `required`: an exact match, `*`, or a `prefix:*` grant whose
 * prefix ends where `required` continues (`read:*` covers `read:users` and `read:users:42`).
 */
export function scopeGrants(granted: string, required: string): boolean {
	if (granted === required || granted === '*') return true
	if (granted.length >= 2 && granted.endsWith(':*')) {
		const stem = granted.slice(0, -1)
		return required.length > stem.length && required.startsWith(stem)
	}
	return false
}

/** `true` when the granted list covers every required scope. An empty grant covers nothing. */
export function hasScopes(granted: readonly string[], required: readonly string[]): boolean {
	for (const need of required) {
		let found = false
		for (const have of granted) {
			if (scopeGrants(have, need)) {
				found = true
				break
			}
		}
		if (!found) return false
	}
	return true
}

/**
 * The scopes both lists grant: each scope of `a` that `b` covers, and each scope of `b` that `a`
 * covers (`read:*` and `read:users` meet in `read:users`; `*` and anything in the other). Order
 * follows `a`, then `b`; no duplicates.
 * @example intersectScopes(['read:*', 'admin'], ['read:users', 'write:*']) // ['read:users']
 */
export function intersectScopes(a: readonly string[], b: readonly string[]): readonly string[] {
	const both = new Set<string>()
	for (const scope of a) if (b.some((other) => scopeGrants(other, scope))) both.add(scope)
	for (const scope of b) if (!both.has(scope) && a.some((other) => scopeGrants(other, scope))) both.add(scope)
	return [...both]
}

/**
 * Pure check used by the adapters' `requireScopes`: `missing` (401) without a key,
 * `insufficient_scope` (403) when a required scope is not granted.
 * @example checkScopes(req.apiKey, ['admin'])
 */
export function checkScopes(key: KeyInfo | undefined | null, required: readonly string[]): CheckScopesResult {
	if (key === undefined || key === null) return defaultReject('missing')
	// An unverified key that inherits has no scopes of its own: only a verified key carries its owner's.
	if (required.length === 0 || (key.scopes !== 'inherit' && hasScopes(key.scopes, required))) return OK
	return defaultReject('insufficient_scope', undefined, key.id)
}
