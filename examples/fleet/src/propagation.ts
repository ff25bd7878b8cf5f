import type { Keyward } from '@keyward/core'
import type { FleetKey } from './keys.js'
import { type Answer, call } from './traffic.js'

/** A change every instance must see: a key revoked, or its owner disabled. */
export type ChangeKind = 'revocation' | 'owner-disabled'

/** The refusal each change must bring, on every instance. */
export const REFUSAL: Record<ChangeKind, Answer> = {
	revocation: { status: 401, code: 'revoked' },
	'owner-disabled': { status: 403, code: 'owner_disabled' },
}

/** Distribution of propagation times, in milliseconds. */
export interface Distribution {
	readonly samples: number
	readonly p50: number
	readonly p99: number
	readonly max: number
}

/** p50, p99 and max of `values` (nearest rank). */
export function distribution(values: readonly number[]): Distribution {
	const sorted = [...values].sort((a, b) => a - b)
	const rank = (p: number) =>
		sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0
	return { samples: sorted.length, p50: rank(50), p99: rank(99), max: sorted.at(-1) ?? 0 }
}

/** One change, timed. */
export interface ChangeTiming {
	/** Milliseconds the change call took (the store's write; the announcement is sent after it). */
	readonly changeMs: number
	/** Per instance, milliseconds from the start of the change call to its first refusal. */
	readonly seenMs: number[]
}

/**
 * Time one change as every instance sees it. Each instance first serves `k` (so it holds the key
 * and its owner in its cache, where only an invalidation can change them); then each asks again
 * and again, back to back, while this process makes the change. An instance's time is from the
 * start of the change (`revokeKey` or `setOwner` call) to its first refusal; every refusal must be
 * the change's. Rejects when an instance has not refused within `withinMs`.
 */
export async function timeChange(
	keyward: Keyward,
	servers: readonly string[],
	k: FleetKey,
	kind: ChangeKind,
	withinMs: number,
): Promise<ChangeTiming> {
	for (const server of servers) {
		const answer = await call(server, k.key)
		if (answer.status !== 200)
			throw new Error(`${server} refused ${k.id} before the change: ${answer.status}`)
	}
	let started = 0
	const watch = async (server: string): Promise<number> => {
		for (;;) {
			const answer = await call(server, k.key)
			const at = performance.now()
			if (answer.status !== 200) {
				const expected = REFUSAL[kind]
				if (answer.status !== expected.status || answer.code !== expected.code)
					throw new Error(`${server} answered ${answer.status} ${answer.code} after a ${kind}`)
				return at - started
			}
			if (at - started > withinMs)
				throw new Error(`${server} still served ${k.id} ${withinMs} ms after a ${kind}`)
		}
	}
	started = performance.now()
	const watchers = servers.map(watch)
	if (kind === 'revocation') await keyward.revokeKey(k.id)
	else await keyward.setOwner(k.owner, { disabled: true })
	const changeMs = performance.now() - started
	return { changeMs, seenMs: await Promise.all(watchers) }
}
