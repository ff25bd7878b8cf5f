import { describe, expect, it } from 'vitest'
import { createSessionSigner, readCookie } from '../src/session.js'

const secret = 'a test secret that is long enough, 32+ bytes'

describe('session cookie signer', () => {
	it('reads back what it signed, until the sign-in expires', () => {
		let now = 1_000_000
		const signer = createSessionSigner({ secret, ttlMs: 60_000, now: () => now })
		const value = signer.sign('ada')
		expect(signer.read(value)).toBe('ada')
		now += 59_000
		expect(signer.read(value)).toBe('ada')
		now += 1_000
		expect(signer.read(value)).toBeUndefined()
	})

	it('refuses values signed with another secret, edited, or malformed', () => {
		const signer = createSessionSigner({ secret })
		const other = createSessionSigner({ secret: `${secret}!` })
		const value = signer.sign('ada')
		const [, expires, mac] = value.split('.')
		expect(other.read(value)).toBeUndefined()
		expect(signer.read(`grace.${expires}.${mac}`)).toBeUndefined()
		expect(signer.read(`ada.${Number(expires) + 1}.${mac}`)).toBeUndefined()
		for (const junk of [undefined, '', 'ada', 'ada.1', `${value}.x`, 'a.b.c'])
			expect(signer.read(junk)).toBeUndefined()
	})

	it('needs a secret of at least 32 bytes', () => {
		expect(() => createSessionSigner({ secret: 'short' })).toThrow('at least 32 bytes')
	})

	it('finds a cookie among others', () => {
		expect(readCookie({ cookie: 'a=1; dashboard_session=x.y.z; b=2' }, 'dashboard_session')).toBe('x.y.z')
		expect(readCookie({}, 'dashboard_session')).toBeUndefined()
	})
})
