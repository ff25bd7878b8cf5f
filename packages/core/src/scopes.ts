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
 * Pure check used by the adapters' `requireScopes`: `missing` (401) without a key,
 * `insufficient_scope` (403) when a required scope is not granted.
 * @example checkScopes(req.apiKey, ['admin'])
 */
export function checkScopes(key: KeyInfo | undefined | null, required: readonly string[]): CheckScopesResult {
	if (key === undefined || key === null) return defaultReject('missing')
	if (required.length === 0 || hasScopes(key.scopes, required)) return OK
	return defaultReject('insufficient_scope', undefined, key.id)
}
