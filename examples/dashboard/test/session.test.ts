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
		const [, expires, id, mac] = value.split('.')
		const fresh = signer.sign('ada').split('.')[2]
		expect(other.read(value)).toBeUndefined()
		expect(signer.read(`grace.${expires}.${id}.${mac}`)).toBeUndefined()
		expect(signer.read(`ada.${Number(expires) + 1}.${id}.${mac}`)).toBeUndefined()
		expect(signer.read(`ada.${expires}.${fresh}.${mac}`)).toBeUndefined()
		for (const junk of [undefined, '', 'ada', 'ada.1', `${value}.x`, 'a.b.c', 'a.b.c.d'])
			expect(signer.read(junk)).toBeUndefined()
	})

	it('needs a secret of at least 32 bytes, and room for at least one session', () => {
		expect(() => createSessionSigner({ secret: 'short' })).toThrow('at least 32 bytes')
		expect(() => createSessionSigner({ maxSessions: 0 })).toThrow('maxSessions')
	})

	it('finds a cookie among others', () => {
		expect(readCookie({ cookie: 'a=1; dashboard_session=x.y.z; b=2' }, 'dashboard_session')).toBe('x.y.z')
		expect(readCookie({}, 'dashboard_session')).toBeUndefined()
	})
})

describe('sessions kept by the server', () => {
	it('ends a sign-in: the same cookie value is refused afterwards', () => {
		const signer = createSessionSigner({ secret })
		const value = signer.sign('ada')
		expect(signer.size).toBe(1)
		signer.end(value)
		expect(signer.read(value)).toBeUndefined()
		expect(signer.size).toBe(0)
		signer.end(value)
		signer.end('junk')
		signer.end(undefined)
		expect(signer.size).toBe(0)
	})

	it("ends only that sign-in: the same user's other sign-ins go on", () => {
		const signer = createSessionSigner({ secret })
		const laptop = signer.sign('ada')
		const phone = signer.sign('ada')
		const grace = signer.sign('grace')
		expect(laptop).not.toBe(phone)
		signer.end(laptop)
		expect(signer.read(laptop)).toBeUndefined()
		expect(signer.read(phone)).toBe('ada')
		expect(signer.read(grace)).toBe('grace')
	})

	it('refuses a genuine signature for a session it never started (a restart, another process)', () => {
		const before = createSessionSigner({ secret })
		const after = createSessionSigner({ secret })
		expect(after.read(before.sign('ada'))).toBeUndefined()
	})

	it('does not let a forged value end a session', () => {
		const signer = createSessionSigner({ secret })
		const value = signer.sign('ada')
		const [user, expires, id] = value.split('.')
		signer.end(`${user}.${expires}.${id}.forged`)
		expect(signer.read(value)).toBe('ada')
	})

	it('forgets expired sessions and keeps at most maxSessions, dropping the oldest', () => {
		let now = 1_000_000
		const signer = createSessionSigner({ secret, ttlMs: 60_000, now: () => now, maxSessions: 3 })
		const first = signer.sign('ada')
		now += 10_000
		const second = signer.sign('grace')
		now += 10_000
		const third = signer.sign('ada')
		expect(signer.size).toBe(3)

		const fourth = signer.sign('grace')
		expect(signer.size).toBe(3)
		expect(signer.read(first)).toBeUndefined()
		expect([second, third, fourth].map((value) => signer.read(value))).toEqual(['grace', 'ada', 'grace'])

		now += 50_000 // `second` has expired: the next sign-in prunes it instead of dropping a live one
		const fifth = signer.sign('ada')
		expect(signer.size).toBe(3)
		expect(signer.read(second)).toBeUndefined()
		expect([third, fourth, fifth].map((value) => signer.read(value))).toEqual(['ada', 'grace', 'ada'])

		now += 60_000 // all have expired
		signer.sign('grace')
		expect(signer.size).toBe(1)
	})
})
