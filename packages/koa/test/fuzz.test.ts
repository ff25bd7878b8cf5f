import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createKeyward, keyPattern, parseKey, REJECTIONS } from '@keyward/core'
import {
	answerProblem,
	hostileRequest,
	inject,
	type Keyring,
	plainRequestBytes,
	sendHttp,
} from '@keyward/internal-testing'
import fc from 'fast-check'
import Koa from 'koa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiKeyAuth } from '../src/index.js'

/** Generated requests per run of the property: the issue asks for at least 100,000 per adapter. */
const RUNS = 100_000

const keyward = createKeyward()
const errors: unknown[] = []
const server = createServer()
let ring: Keyring
let handle: ReturnType<Koa['callback']>

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
		unknown: [(await stranger.createKey({ owner: 'x' })).key, (await stranger.createKey({ owner: 'y' })).key],
		ids: [...valid.values(), revoked.info.id],
		wellFormed: (text) => parseKey(text) !== null,
		pattern: keyPattern(),
		details: REJECTIONS,
	}
	const app = new Koa()
	app.on('error', (error: unknown) => errors.push(error))
	app.use(apiKeyAuth(keyward))
	app.use((ctx) => {
		ctx.body = { id: ctx.state.apiKey?.id ?? null }
	})
	handle = app.callback()
})

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('fuzzed requests (fast-check)', () => {
	it(`${RUNS} requests: no 5xx, and 200 exactly when one valid key sits in an accepted place`, async () => {
		const seen = new Map<string, number>()
		await fc.assert(
			fc.asyncProperty(hostileRequest(ring), async (request) => {
				const answer = await inject(handle, request)
				const problem = answerProblem(request, answer, ring)
				if (problem !== undefined) throw new Error(problem)
				const outcome =
					answer.status === 200 || request.method === 'HEAD'
						? `${answer.status}`
						: (JSON.parse(answer.body) as { code: string }).code
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
		server.on('request', handle)
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
		const { port } = server.address() as AddressInfo
		for (const request of fc.sample(hostileRequest(ring), 300)) {
			const direct = await inject(handle, request)
			const wire = await sendHttp(port, plainRequestBytes(request))
			expect({ status: wire.status, body: wire.body }).toStrictEqual({
				status: direct.status,
				body: direct.body,
			})
		}
	})
})
