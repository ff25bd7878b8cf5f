import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createKeyward, type Keyward, keyPattern, parseKey, REJECTIONS } from '@keyward/core'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
	answerProblem,
	type HeaderView,
	hostileRequest,
	inject,
	type Keyring,
	type PlainRequest,
	plainRequestBytes,
	sendHttp,
} from './hostile-http.js'

/** Generated requests per run of the property: the issue asks for at least 100,000 per adapter. */
const RUNS = 100_000

/** How an adapter takes part in {@link describeAdapterFuzz}. */
export interface FuzzAdapter {
	/**
	 * A request listener: a first middleware calling `record.enter()`, then `apiKeyAuth(keyward)`,
	 * then a handler answering JSON `{ id }` (the key id or `null`). Errors that reach the
	 * framework's error handling go to `record.error`.
	 */
	listener(keyward: Keyward, record: { enter(): void; error(error: unknown): void }): RequestListener
	/**
	 * What the framework answers itself, before any middleware, to targets its URL parser rejects:
	 * 404 (Express), 400 (Fastify), or `false` when every target reaches the middleware. Such an
	 * answer must not hold key text either.
	 */
	readonly answersUnroutedWith: 400 | 404 | false
	/** How the adapter reads repeated headers: Node's raw list, or a Web `Headers`. @defaultValue 'node' */
	readonly headers?: HeaderView | undefined
}

/**
 * Fuzz suite shared by the adapters: {@link RUNS} generated hostile requests, each judged against
 * an independent model of the design (no 5xx; 200 exactly when one valid key sits in an accepted
 * place; the right refusal otherwise; no key text in any answer).
 */
export function describeAdapterFuzz(adapter: FuzzAdapter): void {
	const keyward = createKeyward()
	const errors: unknown[] = []
	const server = createServer()
	let ring: Keyring
	let app: RequestListener
	/** Requests the framework routed into its chain. */
	let routed = 0

	beforeAll(async () => {
		const valid = new Map<string, string>()
		for (const owner of ['acme', 'globex', 'initech']) {
			const { key, info } = await keyward.createKey({ owner })
			valid.set(key, info.id)
		}
		const revoked = await keyward.createKey({ owner: 'acme' })
		await keyward.revokeKey(revoked.info.id)
		const stranger = createKeyward()
		ring = {
			valid,
			revoked: [revoked.key],
			unknown: [
				(await stranger.createKey({ owner: 'x' })).key,
				(await stranger.createKey({ owner: 'y' })).key,
			],
			ids: [...valid.values(), revoked.info.id],
			wellFormed: (text) => parseKey(text) !== null,
			pattern: keyPattern(),
			details: REJECTIONS,
		}
		app = adapter.listener(keyward, {
			enter: () => routed++,
			error: (error) => errors.push(error),
		})
	})

	/** Run `request` in-process; returns the problem found, if any, and how the request ended. */
	async function judge(request: PlainRequest) {
		const before = routed
		const answer = await inject(app, request)
		if (routed === before) {
			const allowed = answer.status === adapter.answersUnroutedWith
			const leaked =
				ring.pattern.test(answer.raw) || [...ring.valid.keys()].some((k) => answer.raw.includes(k))
			const problem = !allowed
				? `${answer.status} unrouted`
				: leaked
					? 'key text in an unrouted answer'
					: undefined
			return { outcome: 'unrouted', problem }
		}
		const problem = answerProblem(request, answer, ring, adapter.headers)
		const outcome =
			answer.status === 200 || request.method === 'HEAD'
				? `${answer.status}`
				: (JSON.parse(answer.body) as { code: string }).code
		return { outcome, problem }
	}

	afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

	describe('fuzzed requests (fast-check)', () => {
		it(`${RUNS} requests: no 5xx, and 200 exactly when one valid key sits in an accepted place`, async () => {
			const seen = new Map<string, number>()
			await fc.assert(
				fc.asyncProperty(hostileRequest(ring), async (request) => {
					const { outcome, problem } = await judge(request)
					if (problem !== undefined) throw new Error(problem)
					seen.set(outcome, (seen.get(outcome) ?? 0) + 1)
				}),
				{ numRuns: RUNS },
			)
			expect(errors).toStrictEqual([])
			// The generator reaches every outcome, and success often enough to matter.
			expect(seen.get('200')).toBeGreaterThan(RUNS / 5)
			for (const code of ['missing', 'malformed', 'invalid', 'revoked', 'ambiguous']) {
				expect(seen.get(code)).toBeGreaterThan(RUNS / 500)
			}
		}, 120_000)

		it('the in-process driver answers as the real server does over a socket', async () => {
			server.on('request', app)
			await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
			const { port } = server.address() as AddressInfo
			for (const request of fc.sample(hostileRequest(ring), 300)) {
				const direct = await inject(app, request)
				const wire = await sendHttp(port, plainRequestBytes(request))
				expect({ status: wire.status, body: wire.body }).toStrictEqual({
					status: direct.status,
					body: direct.body,
				})
			}
		})
	})
}
