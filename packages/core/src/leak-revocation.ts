import { AsyncLocalStorage } from 'node:async_hooks'
import { withAuditContext } from './audit-context.js'
import { isKeywardError } from './errors.js'
import type { Keyward } from './keyward.js'
import type { LeakLabel, LeakReportEntry } from './leak-report-format.js'
import type { KeyInfo } from './types.js'

/** Where a report says a key was found. */
export interface LeakLocation {
	/** The URL the code host reported (`''` when it gave none). */
	readonly url: string
	/** What the code host scanned (`content`, `commit`, `npm`...; `''` when not given). */
	readonly source: string
	/** The token type the code host matched (`''` when not given). */
	readonly type: string
}

/** A key a leak report revoked: what the host's `notify` hook receives. Never the key text. */
export interface LeakedKey {
	/** The key as it is now: revoked. */
	readonly key: KeyInfo
	/** The code host that reported it (`github`...). */
	readonly reporter: string
	/** Every place the report listed for this key, in report order. */
	readonly locations: readonly LeakLocation[]
}

/** What a report changed: a label per distinct token, and the keys it revoked. */
export interface LeakOutcome {
	readonly labels: ReadonlyMap<string, LeakLabel>
	readonly revoked: readonly LeakedKey[]
}

/** Distinct tokens revoked at once; the rest wait, so a long report does not flood the store. */
const CONCURRENCY = 8

/**
 * Tokens of a report in first-seen order, each with every place it was found. A reported place
 * can hold key text itself (`https://host/?api_key=...`): `scrub` removes it before the place
 * reaches the audit trail or `notify`.
 */
function byToken(
	entries: readonly LeakReportEntry[],
	scrub: (text: string) => string,
): Map<string, LeakLocation[]> {
	const tokens = new Map<string, LeakLocation[]>()
	for (const { token, url, source, type } of entries) {
		const location = { url: scrub(url), source: scrub(source), type: scrub(type) }
		const locations = tokens.get(token)
		if (locations === undefined) tokens.set(token, [location])
		else locations.push(location)
	}
	return tokens
}

/**
 * Revokes the keys of leak reports, each as `leak-report:<reporter>` with the reported URL as the
 * audit source. A token is `true_positive` when it is a key the store knows (revoked by this
 * report, or already revoked: then nothing changes), `false_positive` otherwise (not this
 * keyward's format or prefix, a wrong checksum, or a key never issued or deleted). Store failures
 * are thrown (`store_unavailable`), so that the code host tries again; revoking twice changes
 * nothing.
 */
export function createLeakRevoker(
	keyward: Keyward,
	reporter: string,
): (entries: readonly LeakReportEntry[]) => Promise<LeakOutcome> {
	// Only text of this keyward's key form is looked up: an id-like token must never revoke by id.
	const fullKey = new RegExp(`^(?:${keyward.keyPattern.source})$`)
	const anyKey = new RegExp(keyward.keyPattern.source, 'g')
	const scrub = (text: string) => text.replace(anyKey, '[REDACTED]')
	const actor = `leak-report:${reporter}`
	// Tells a revocation this call made from one a concurrent call (or an earlier report) made:
	// keyward emits `key.revoked` only for the call whose store write changed the key, synchronously,
	// in that call's async context.
	const revoking = new AsyncLocalStorage<{ key?: KeyInfo }>()
	keyward.on('key.revoked', ({ key }) => {
		const slot = revoking.getStore()
		if (slot !== undefined) slot.key = key
	})

	async function revoke(token: string, locations: readonly LeakLocation[]): Promise<[LeakLabel, KeyInfo?]> {
		if (!fullKey.test(token)) return ['false_positive']
		const first = locations[0] as LeakLocation
		const slot: { key?: KeyInfo } = {}
		try {
			await withAuditContext({ actor, source: first.url || first.source || null }, () =>
				revoking.run(slot, () => keyward.revokeKey(token)),
			)
		} catch (error) {
			// Checksum failures end here too: the lookup refuses them before any store access.
			if (isKeywardError(error, 'key_not_found')) return ['false_positive']
			throw error
		}
		return slot.key === undefined ? ['true_positive'] : ['true_positive', slot.key]
	}

	return async function revokeReported(entries) {
		const tokens = [...byToken(entries, scrub)]
		const outcomes: [LeakLabel, KeyInfo?][] = []
		let next = 0
		async function worker(): Promise<void> {
			while (next < tokens.length) {
				const index = next++
				const [token, locations] = tokens[index] as [string, LeakLocation[]]
				outcomes[index] = await revoke(token, locations)
			}
		}
		await Promise.all(Array.from({ length: Math.min(CONCURRENCY, tokens.length) }, worker))
		const labels = new Map<string, LeakLabel>()
		const revoked: LeakedKey[] = []
		tokens.forEach(([token, locations], index) => {
			const [label, key] = outcomes[index] as [LeakLabel, KeyInfo?]
			labels.set(token, label)
			if (key !== undefined) revoked.push({ key, reporter, locations })
		})
		return { labels, revoked }
	}
}
