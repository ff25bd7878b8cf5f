import { describe, expect, it } from 'vitest'
import { attachAuditSink } from '../src/audit.js'
import { withAuditContext } from '../src/audit-context.js'
import { createKeyward } from '../src/keyward.js'
import { MemoryStore } from '../src/memory-store.js'
import { sessionTokenPattern } from '../src/session-token.js'
import type { CreatedSession, CreateSessionResult } from '../src/session-types.js'
import type { AuditEntry } from '../src/store-types.js'
import { brokenStore, clock, delegate, setup, sharedChannel } from './helpers.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

function started(result: CreateSessionResult): CreatedSession {
	if (!result.ok) throw new Error(`login refused: ${result.code}`)
	return result
}

describe('sessions: logging in with a key', () => {
	it('verifies the key fully, counts no quota, and hands out a random token that is no key', async () => {
		const { keyward, time } = setup()
		const { key, info } = await keyward.createKey({ owner: 'acme', scopes: ['read:*'], monthlyQuota: 5 })
		const login = started(await keyward.createSession(key, { client: '203.0.113.5' }))
		expect(login.token).toMatch(sessionTokenPattern('kw'))
		expect(login.token).not.toMatch(keyward.keyPattern)
		expect(login.token).not.toContain(key.slice(3, 20))
		expect(login.key).toMatchObject({ id: info.id, owner: 'acme', scopes: ['read:*'] })
		expect(login.session).toEqual({
			id: expect.stringMatching(/^[0-9A-Za-z]{12}$/),
			keyId: info.id,
			owner: 'acme',
			createdAt: new Date(time.now()),
			expiresAt: new Date(time.now() + 8 * HOUR),
			client: '203.0.113.5',
		})
		expect(login.expiresAt).toEqual(login.session.expiresAt)
		expect((await keyward.usage(info.id)).used).toBe(0)
		const other = started(await keyward.createSession(key))
		expect(other.token).not.toBe(login.token)
	})

	it('ends a session no later than its key, and no later than sessions.maxLifetimeMs', async () => {
		const { keyward, time } = setup({ sessions: { maxLifetimeMs: 2 * DAY } })
		const short = await keyward.createKey({ owner: 'acme', expiresIn: HOUR })
		expect(started(await keyward.createSession(short.key)).expiresAt).toEqual(new Date(time.now() + HOUR))
		const long = await keyward.createKey({ owner: 'acme' })
		const capped = started(await keyward.createSession(long.key, { lifetimeMs: 30 * DAY }))
		expect(capped.expiresAt).toEqual(new Date(time.now() + 2 * DAY))
		const brief = started(await keyward.createSession(long.key, { lifetimeMs: 60_000 }))
		expect(brief.expiresAt).toEqual(new Date(time.now() + 60_000))
	})

	it('refuses a login as a request with that key is refused, and a missing key as missing', async () => {
		const { keyward } = setup()
		const { key, info } = await keyward.createKey({ owner: 'acme', scopes: ['read'] })
		const stranger = (await createKeyward().createKey({ owner: 'x' })).key
		expect(await keyward.createSession(stranger)).toEqual(await keyward.verifyKey(stranger))
		expect(await keyward.createSession('kw_nope')).toMatchObject({ status: 401, code: 'malformed' })
		expect(await keyward.createSession('  \t')).toMatchObject({ status: 401, code: 'missing' })
		expect(await keyward.createSession(key, { scopes: ['write'] })).toMatchObject({
			code: 'insufficient_scope',
		})
		expect(started(await keyward.createSession(`  ${key}\t`)).key.id).toBe(info.id)
		await keyward.revokeKey(info.id)
		expect(await keyward.createSession(key)).toMatchObject({ status: 401, code: 'revoked' })
	})

	it('refuses a wrong user name with a right key exactly as an unknown key, whatever the key’s state', async () => {
		const { keyward } = setup()
		const { key, info } = await keyward.createKey({ owner: 'acme' })
		const stranger = (await createKeyward().createKey({ owner: 'x' })).key
		const unknown = await keyward.createSession(stranger, { username: 'acme' })
		const wrong = await keyward.createSession(key, { username: 'Acme' })
		expect(wrong).toEqual(unknown)
		expect(wrong).toMatchObject({ status: 401, code: 'invalid', detail: 'Invalid API key' })
		expect('keyId' in wrong).toBe(false)
		expect(started(await keyward.createSession(key, { username: 'acme' })).key.owner).toBe('acme')
		await keyward.revokeKey(info.id)
		expect(await keyward.createSession(key, { username: 'mallory' })).toEqual(unknown)
	})

	it('counts failed logins, a wrong user name included, against the client’s failure limit', async () => {
		const { keyward } = setup({ failureLimit: { max: 3, windowMs: 60_000 } })
		const { key } = await keyward.createKey({ owner: 'acme' })
		for (const [text, username] of [
			['kw_madeup', undefined],
			[key, 'someone'],
			[key, 'else'],
		] as const) {
			expect((await keyward.createSession(text, { username, client: '198.51.100.1' })).ok).toBe(false)
		}
		expect(await keyward.createSession(key, { client: '198.51.100.1' })).toMatchObject({
			status: 429,
			code: 'too_many_failures',
		})
		expect((await keyward.createSession(key, { client: '198.51.100.2' })).ok).toBe(true)
	})

	it('logs in from a request as verify reads it, and reports what to hide', async () => {
		const { keyward } = setup()
		const { key } = await keyward.createKey({ owner: 'acme' })
		const fromQuery = started(await keyward.createSession({ headers: {}, url: `/page?api_key=${key}&x=1` }))
		expect(fromQuery.hide?.url).toBe('/page?x=1')
		const fromHeader = await keyward.createSession({ headers: { 'x-api-key': key }, url: '/' })
		expect(fromHeader.ok && fromHeader.hide).toBeUndefined()
		const both = await keyward.createSession({ headers: { 'x-api-key': key }, url: '/?api_key=kw_other' })
		expect(both).toMatchObject({ code: 'ambiguous', hide: { url: '/' } })
	})

	it('validates its options', async () => {
		const { keyward } = setup()
		const { key } = await keyward.createKey({ owner: 'acme' })
		const bad = [
			{ lifetimeMs: 10 },
			{ lifetimeMs: 1.5e3 + 0.5 },
			{ username: 7 },
			{ client: {} },
			{ scopes: 'read' },
			{ ttl: 1 },
		]
		for (const options of bad)
			await expect(keyward.createSession(key, options as never)).rejects.toMatchObject({
				code: 'invalid_argument',
			})
		for (const sessions of [{ maxPerKey: 0 }, { maxLifetimeMs: 10 }, { maxPerkey: 3 }]) {
			expect(() => createKeyward({ sessions } as never)).toThrow(/sessions/)
		}
	})
})

describe('sessions: requests with a session', () => {
	it('get the key’s result: the key with the scopes in effect, its RateLimit headers, its quota counted', async () => {
		const { keyward } = setup()
		const { key, info } = await keyward.createKey({ owner: 'acme', scopes: ['read:*'], monthlyQuota: 3 })
		const { token } = started(await keyward.createSession(key))
		const byKey = await keyward.verifyKey(key, { scopes: ['read:users'] })
		const bySession = await keyward.verifySession(token, { scopes: ['read:users'] })
		expect(bySession).toMatchObject({
			ok: true,
			key: { id: info.id, scopes: ['read:*'] },
			quota: { remaining: 1 },
		})
		expect(Object.keys(bySession.headers)).toEqual(Object.keys(byKey.headers))
		expect(await keyward.verifySession(token)).toMatchObject({ ok: true, quota: { remaining: 0 } })
		expect(await keyward.verifySession(token)).toMatchObject({ status: 429, code: 'quota_exceeded' })
		expect(await keyward.verifySession(token, { scopes: ['write'] })).toMatchObject({
			code: 'insufficient_scope',
		})
		expect((await keyward.usage(info.id)).used).toBe(3)
	})

	it('end with their key: revoked, deleted, expired, narrowed, disabled, or past a rotation’s grace', async () => {
		const { keyward, time } = setup()
		const session = async (input: Parameters<typeof keyward.createKey>[0] = { owner: 'acme' }) => {
			const { key, info } = await keyward.createKey(input)
			return { key, info, token: started(await keyward.createSession(key)).token }
		}
		const revoked = await session()
		await keyward.revokeKey(revoked.info.id)
		expect(await keyward.verifySession(revoked.token)).toMatchObject({ status: 401, code: 'revoked' })

		// A deleted key takes its sessions with it; one this instance still holds is refused as revoked.
		const deleted = await session()
		const unseen = started(await keyward.createSession(deleted.key))
		expect((await keyward.verifySession(deleted.token)).ok).toBe(true)
		await keyward.deleteKey(deleted.info.id)
		expect(await keyward.verifySession(deleted.token)).toMatchObject({ status: 401, code: 'revoked' })
		expect(await keyward.verifySession(unseen.token)).toMatchObject({ status: 401, code: 'invalid_session' })

		const narrowed = await session({ owner: 'acme', scopes: ['read', 'write'] })
		await keyward.updateKey(narrowed.info.id, { scopes: ['read'] })
		expect(await keyward.verifySession(narrowed.token, { scopes: ['write'] })).toMatchObject({
			code: 'insufficient_scope',
		})
		expect(await keyward.verifySession(narrowed.token)).toMatchObject({ ok: true, key: { scopes: ['read'] } })

		const rotated = await session()
		await keyward.rotateKey(rotated.info.id, { graceMs: HOUR })
		expect((await keyward.verifySession(rotated.token)).ok).toBe(true)
		time.advance(HOUR)
		expect(await keyward.verifySession(rotated.token)).toMatchObject({ status: 401, code: 'expired' })

		const disabled = await session({ owner: 'globex' })
		await keyward.setOwner('globex', { disabled: true })
		expect(await keyward.verifySession(disabled.token)).toMatchObject({ status: 403, code: 'owner_disabled' })
		await keyward.setOwner('globex', { disabled: false })
		expect((await keyward.verifySession(disabled.token)).ok).toBe(true)
	})

	it('refuse made-up, unknown, ended and expired sessions as invalid_session', async () => {
		const { keyward, time, store } = setup()
		let lookups = 0
		const counted = createKeyward({
			store: delegate(store, {
				findSessionByHash: (hash) => {
					lookups++
					return store.findSessionByHash(hash)
				},
			}),
			now: time.now,
		})
		const { key } = await keyward.createKey({ owner: 'acme' })
		const { token } = started(await keyward.createSession(key, { lifetimeMs: 60_000 }))
		const invalid = { status: 401, code: 'invalid_session', detail: 'Session is invalid or has ended' }
		for (const junk of [
			'',
			'kws_x',
			`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
			key,
			'kw_x'.repeat(500),
		])
			expect(await counted.verifySession(junk)).toMatchObject(invalid)
		expect(lookups).toBe(0)
		const stranger = createKeyward()
		const other = started(await stranger.createSession((await stranger.createKey({ owner: 'x' })).key))
		expect(await keyward.verifySession(other.token)).toMatchObject(invalid)
		expect((await keyward.verifySession(token)).ok).toBe(true)
		time.advance(60_000)
		expect(await keyward.verifySession(token)).toMatchObject(invalid)
		expect(await keyward.verifySession(token, { client: 'x' })).toMatchObject({
			headers: { 'WWW-Authenticate': 'Apikey realm="api"' },
		})
	})

	it('count bad session tokens against the client’s failure limit', async () => {
		const { keyward } = setup({ failureLimit: { max: 2, windowMs: 60_000 } })
		const { key } = await keyward.createKey({ owner: 'acme' })
		const { token } = started(await keyward.createSession(key))
		await keyward.verifySession('kws_guess', { client: 'c1' })
		await keyward.verifySession(`${token.slice(0, -6)}AAAAAA`, { client: 'c1' })
		expect(await keyward.verifySession(token, { client: 'c1' })).toMatchObject({ code: 'too_many_failures' })
		expect((await keyward.verifySession(token, { client: 'c2' })).ok).toBe(true)
	})

	it('answer 503 when the store fails, and never let the request through', async () => {
		const { keyward, store, time } = setup()
		const { key } = await keyward.createKey({ owner: 'acme' })
		const { token } = started(await keyward.createSession(key))
		const now = time.now
		const down = createKeyward({ store: brokenStore(), now })
		expect(await down.verifySession(token)).toMatchObject({ status: 503, code: 'unavailable' })
		expect(await down.createSession(key)).toMatchObject({ status: 503, code: 'unavailable' })
		await expect(down.endSession(token)).rejects.toMatchObject({ code: 'store_unavailable' })
		const keyDown = createKeyward({
			store: delegate(store, { findById: () => Promise.reject(new Error('down')) }),
			now,
		})
		expect(await keyDown.verifySession(token)).toMatchObject({ status: 503, code: 'unavailable' })
		const insertDown = createKeyward({
			store: delegate(store, { createSession: () => Promise.reject(new Error('down')) }),
			now,
		})
		expect(await insertDown.createSession(key)).toMatchObject({ status: 503, code: 'unavailable' })
	})
})

describe('sessions: ending them', () => {
	it('ends a session at once on this instance; a copy of the token is refused', async () => {
		const { keyward } = setup()
		const { key } = await keyward.createKey({ owner: 'acme' })
		const a = started(await keyward.createSession(key))
		const b = started(await keyward.createSession(key))
		expect((await keyward.verifySession(a.token)).ok).toBe(true)
		expect(await keyward.endSession(a.token)).toBe(true)
		expect(await keyward.endSession(a.token)).toBe(false)
		expect(await keyward.endSession('kws_junk')).toBe(false)
		expect(await keyward.verifySession(a.token)).toMatchObject({ code: 'invalid_session' })
		expect((await keyward.verifySession(b.token)).ok).toBe(true)
	})

	it('reaches other instances through the invalidation channel at once, else within cache.ttlMs', async () => {
		const store = new MemoryStore()
		const time = clock()
		const channel = sharedChannel()
		const here = createKeyward({ store, now: time.now, invalidation: channel() })
		const there = createKeyward({ store, now: time.now, invalidation: channel() })
		const elsewhere = createKeyward({ store, now: time.now, cache: { ttlMs: 10_000 } })
		const { key, info } = await here.createKey({ owner: 'acme' })
		const logout = started(await here.createSession(key))
		const revoke = started(await here.createSession(key))
		for (const instance of [there, elsewhere])
			for (const { token } of [logout, revoke]) expect((await instance.verifySession(token)).ok).toBe(true)

		await here.endSession(logout.token)
		expect(await there.verifySession(logout.token)).toMatchObject({ code: 'invalid_session' })
		expect((await elsewhere.verifySession(logout.token)).ok).toBe(true)

		await here.revokeKey(info.id)
		expect(await there.verifySession(revoke.token)).toMatchObject({ code: 'revoked' })
		expect((await elsewhere.verifySession(revoke.token)).ok).toBe(true)

		time.advance(10_001)
		expect(await elsewhere.verifySession(logout.token)).toMatchObject({ code: 'invalid_session' })
		expect(await elsewhere.verifySession(revoke.token)).toMatchObject({ code: 'revoked' })
	})

	it('ends the oldest session of a key past sessions.maxPerKey, at once here', async () => {
		const { keyward, time } = setup({ sessions: { maxPerKey: 2 } })
		const { key } = await keyward.createKey({ owner: 'acme' })
		const tokens: string[] = []
		for (let i = 0; i < 3; i++) {
			tokens.push(started(await keyward.createSession(key)).token)
			expect((await keyward.verifySession(tokens[i] as string)).ok).toBe(true)
			time.advance(1000)
		}
		expect(await keyward.verifySession(tokens[0] as string)).toMatchObject({ code: 'invalid_session' })
		for (const token of tokens.slice(1)) expect((await keyward.verifySession(token)).ok).toBe(true)
	})
})

describe('sessions: audit', () => {
	it('records each login as session.created and each logout as session.ended, with who and from where', async () => {
		const { keyward, store, time } = setup()
		const entries: AuditEntry[] = []
		const sink = attachAuditSink(keyward, { write: (entry) => void entries.push(entry) })
		const { key, info } = await keyward.createKey({ owner: 'acme' })
		const { token } = started(await keyward.createSession(key, { username: 'acme', client: '203.0.113.5' }))
		const quiet = started(await keyward.createSession(key))
		time.advance(1000)
		await keyward.endSession(token, { client: '203.0.113.6' })
		await withAuditContext({ actor: 'ops', source: 'console' }, () => keyward.endSession(quiet.token))
		await sink.flush()
		const stored = await store.listAudit({ keyId: info.id })
		const at = new Date(time.now())
		const logins = new Date(time.now() - 1000)
		const row = { keyId: info.id, owner: 'acme', previousKeyId: null }
		expect(stored.filter((e) => e.action.startsWith('session.'))).toEqual([
			{ at, action: 'session.ended', ...row, actor: 'ops', source: 'console' },
			{ at, action: 'session.ended', ...row, actor: 'acme', source: '203.0.113.6' },
			{ at: logins, action: 'session.created', ...row, actor: 'acme', source: null },
			{ at: logins, action: 'session.created', ...row, actor: 'acme', source: '203.0.113.5' },
		])
		expect(entries.filter((e) => e.action.startsWith('session.'))).toEqual(
			stored.filter((e) => e.action.startsWith('session.')).reverse(),
		)
		const text = JSON.stringify([stored, entries])
		expect(text).not.toContain(token)
		expect(text).not.toContain(key)
	})

	it('emits events that carry neither token nor hash', async () => {
		const { keyward } = setup()
		const seen: unknown[] = []
		keyward.on('session.created', (event) => seen.push(event))
		keyward.on('session.ended', (event) => seen.push(event))
		const { key } = await keyward.createKey({ owner: 'acme' })
		const { token } = started(await keyward.createSession(key))
		await keyward.endSession(token)
		expect(seen).toHaveLength(2)
		const text = JSON.stringify(seen)
		expect(text).not.toContain(token)
		expect(text).not.toContain('hash')
	})
})

describe('sessions of a key stored under an older pepper', () => {
	it('see its revocation at once, whichever of the key and the session was cached first', async () => {
		for (const keyFirst of [true, false]) {
			const store = new MemoryStore()
			const old = createKeyward({ store, pepper: [{ version: 'v1', secret: 'old secret' }], lastUsed: false })
			const { key } = await old.createKey({ owner: 'acme' })
			const keyward = createKeyward({
				store,
				pepper: [
					{ version: 'v2', secret: 'new secret' },
					{ version: 'v1', secret: 'old secret' },
				],
				lastUsed: false,
			})
			const { token } = started(await keyward.createSession(key))
			const both = async () => [(await keyward.verifyKey(key)).ok, (await keyward.verifySession(token)).ok]
			if (keyFirst) expect((await keyward.verifyKey(key)).ok).toBe(true)
			expect(await both()).toEqual([true, true])
			await keyward.revokeKey((await keyward.listKeys({ owner: 'acme' }))[0]?.id as string)
			expect(await both()).toEqual([false, false])
			await keyward.close()
			await old.close()
		}
	})
})
