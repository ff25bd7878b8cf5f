import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkScopes, hasScopes, scopeGrants } from '../src/scopes.js'
import type { KeyInfo } from '../src/types.js'

const info = (scopes: string[]): KeyInfo => ({
	id: 'id0000000000',
	owner: 'o',
	name: null,
	note: null,
	scopes,
	createdAt: new Date(0),
	expiresAt: null,
	revokedAt: null,
	lastUsedAt: null,
	monthlyQuota: null,
	metadata: {},
	familyId: 'id0000000000',
	replacedBy: null,
	hint: null,
})

describe('scopes', () => {
	it('matches exactly, with * and with prefix:* wildcards', () => {
		expect(scopeGrants('read', 'read')).toBe(true)
		expect(scopeGrants('*', 'anything:at:all')).toBe(true)
		expect(scopeGrants('read:*', 'read:users')).toBe(true)
		expect(scopeGrants('read:*', 'read:users:42')).toBe(true)
		expect(scopeGrants('read:*', 'read:')).toBe(false)
		expect(scopeGrants('read:*', 'read')).toBe(false)
		expect(scopeGrants('read:*', 'reader:x')).toBe(false)
		expect(scopeGrants('read', 'read:users')).toBe(false)
		expect(scopeGrants('read:users', 'read:*')).toBe(false)
		expect(scopeGrants(':*', ':x')).toBe(true)
	})

	it('needs every required scope; an empty grant grants nothing', () => {
		expect(hasScopes(['a', 'b'], ['a', 'b'])).toBe(true)
		expect(hasScopes(['a'], ['a', 'b'])).toBe(false)
		expect(hasScopes([], ['a'])).toBe(false)
		expect(hasScopes([], [])).toBe(true)
	})

	it('checkScopes: 401 without a key, 403 when short, ok otherwise', () => {
		expect(checkScopes(undefined, ['a'])).toMatchObject({ ok: false, status: 401, code: 'missing' })
		expect(checkScopes(info(['b']), ['a'])).toMatchObject({
			ok: false,
			status: 403,
			code: 'insufficient_scope',
			headers: {},
		})
		expect(checkScopes(info(['a:*']), ['a:b'])).toEqual({ ok: true })
		expect(checkScopes(info([]), [])).toEqual({ ok: true })
	})

	it('property: * grants everything, and a scope always grants itself', () => {
		fc.assert(
			fc.property(fc.string(), (scope) => {
				expect(scopeGrants('*', scope)).toBe(true)
				expect(scopeGrants(scope, scope)).toBe(true)
				expect(hasScopes([], [scope])).toBe(false)
			}),
		)
	})
})
