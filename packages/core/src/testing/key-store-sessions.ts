import { describe, expect, it } from 'vitest'
import { isKeywardError } from '../errors.js'
import type { AuditStamp, KeyStore } from '../store-types.js'
import { sampleRecord, sampleSession } from './sample-record.js'

const T0 = Date.UTC(2026, 5, 1)
const at = (ms: number) => new Date(T0 + ms)
const stamp: AuditStamp = { actor: 'ada', source: '203.0.113.9' }
const HOUR = 3_600_000

/**
 * The session part of the {@link KeyStore} contract: sessions by token hash, tied to their key
 * (they go when it goes), bounded per key, and audited with each change.
 */
export function describeKeyStoreSessions(current: () => KeyStore): void {
	/** A stored key and a session of it starting at `T0 + ms`. */
	async function keyWithSession(ms = 0) {
		const store = current()
		const key = sampleRecord({ owner: 'sess' })
		await store.create(key)
		return { store, key, session: sampleSession(key.id, { owner: key.owner, createdAt: at(ms) }) }
	}

	describe('sessions', () => {
		it('round-trips a session and finds it by exact hash only', async () => {
			const { store, key, session } = await keyWithSession()
			expect(await store.createSession(session)).toEqual([])
			expect(await store.findSessionByHash(session.hash)).toEqual(session)
			expect(await store.findSessionByHash(session.hash.toUpperCase())).toBeNull()
			expect(await store.findSessionByHash(session.hash.slice(0, -1))).toBeNull()
			const anonymous = sampleSession(key.id, { client: null, owner: 'ünï 😀' })
			await store.createSession(anonymous)
			expect(await store.findSessionByHash(anonymous.hash)).toEqual(anonymous)
			expect(await store.findSessionByHash('f'.repeat(64))).toBeNull()
		})

		it('refuses a duplicate id or hash, and a session of an unknown key, inserting nothing', async () => {
			const { store, key, session } = await keyWithSession()
			await store.createSession(session)
			const sameHash = sampleSession(key.id, { hash: session.hash })
			const sameId = sampleSession(key.id, { id: session.id })
			await expect(store.createSession(sameHash)).rejects.toSatisfy((e) => isKeywardError(e, 'duplicate_key'))
			await expect(store.createSession(sameId)).rejects.toSatisfy((e) => isKeywardError(e, 'duplicate_key'))
			expect(await store.findSessionByHash(sameId.hash)).toBeNull()
			const orphan = sampleSession('nokey0000000')
			await expect(store.createSession(orphan)).rejects.toSatisfy((e) => isKeywardError(e, 'key_not_found'))
			expect(await store.findSessionByHash(orphan.hash)).toBeNull()
		})

		it('ends a session once, with its audit entries where the store keeps a trail', async () => {
			const { store, key, session } = await keyWithSession()
			await store.createSession(session, { audit: stamp })
			expect(await store.deleteSession(session.id, { at: at(60_000), audit: stamp })).toEqual(session)
			expect(await store.deleteSession(session.id, { at: at(60_000), audit: stamp })).toBeNull()
			expect(await store.findSessionByHash(session.hash)).toBeNull()
			if (store.listAudit === undefined) return
			const entries = await store.listAudit({ keyId: key.id })
			const common = { keyId: key.id, owner: key.owner, ...stamp, previousKeyId: null }
			expect(entries).toEqual([
				{ at: at(60_000), action: 'session.ended', ...common },
				{ at: session.createdAt, action: 'session.created', ...common },
			])
		})

		it('removes the sessions of a key deleted or purged, and no others', async () => {
			const { store, key, session } = await keyWithSession()
			const other = sampleRecord({ owner: 'sess' })
			const old = sampleRecord({ owner: 'sess', revokedAt: at(0), createdAt: at(-HOUR) })
			await store.create(other)
			await store.create(old)
			const kept = sampleSession(other.id, { owner: 'sess' })
			const purged = sampleSession(old.id, { owner: 'sess' })
			for (const s of [session, kept, purged]) await store.createSession(s)
			expect(await store.delete(key.id)).toBe(true)
			expect(await store.findSessionByHash(session.hash)).toBeNull()
			expect((await store.purgeInactive('sess', 0, at(1))).map((r) => r.id)).toEqual([old.id])
			expect(await store.findSessionByHash(purged.hash)).toBeNull()
			expect(await store.findSessionByHash(kept.hash)).toEqual(kept)
			// The key's sessions do not come back with a key that takes its hash again.
			await store.create(sampleRecord({ hash: key.hash }))
			expect(await store.findSessionByHash(session.hash)).toBeNull()
		})

		it('removes the key’s expired sessions and the oldest beyond maxPerKey, answering them', async () => {
			const { store, key } = await keyWithSession()
			const expired = sampleSession(key.id, { createdAt: at(0), expiresAt: at(HOUR) })
			const sessions = [1, 2, 3].map((n) =>
				sampleSession(key.id, { createdAt: at(n * 60_000), expiresAt: at(9 * HOUR) }),
			)
			const elsewhere = sampleRecord()
			await store.create(elsewhere)
			const foreign = sampleSession(elsewhere.id, { createdAt: at(0), expiresAt: at(HOUR) })
			for (const s of [expired, ...sessions, foreign]) await store.createSession(s)
			const newest = sampleSession(key.id, { createdAt: at(HOUR), expiresAt: at(9 * HOUR) })
			const removed = await store.createSession(newest, { maxPerKey: 3 })
			expect(removed.map((s) => s.id).sort()).toEqual([expired.id, sessions[0]?.id].sort())
			for (const s of [sessions[1], sessions[2], newest, foreign])
				expect(await store.findSessionByHash(s?.hash ?? '')).toEqual(s)
			expect(await store.findSessionByHash(expired.hash)).toBeNull()
			expect(
				await store.createSession(sampleSession(key.id, { createdAt: at(HOUR) }), { maxPerKey: 1 }),
			).toHaveLength(3)
		})

		it('keeps exactly maxPerKey sessions under concurrent logins (20 at once, limit 5)', async () => {
			const { store, key } = await keyWithSession()
			const logins = Array.from({ length: 20 }, (_, i) =>
				sampleSession(key.id, { createdAt: at(i), expiresAt: at(9 * HOUR) }),
			)
			await Promise.all(logins.map((s) => store.createSession(s, { maxPerKey: 5 })))
			const left = []
			for (const s of logins) if ((await store.findSessionByHash(s.hash)) !== null) left.push(s)
			expect(left).toHaveLength(5)
		})

		it('does not let callers change stored sessions through returned objects', async () => {
			const { store, session } = await keyWithSession()
			await store.createSession(session)
			const found = (await store.findSessionByHash(session.hash)) as { owner: string } | null
			if (found !== null) found.owner = 'mallory'
			expect(await store.findSessionByHash(session.hash)).toEqual(session)
		})
	})
}
