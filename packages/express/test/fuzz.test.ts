import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createKeyward, keyPattern, parseKey, REJECTIONS } from '@keyward/core'
import {
	answerProblem,
	hostileRequest,
	inject,
	type Keyring,
	type PlainRequest,
	plainRequestBytes,
	sendHttp,
} from '@keyward/internal-testing'
import express, { type ErrorRequestHandler, type Express } from 'express'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiKeyAuth } from '../src/index.js'

/** Generated requests per run of the property: the issue asks for at least 100,000 per adapter. */
const RUNS = 100_000

const keyward = createKeyward()
const errors: unknown[] = []
const server = createServer()
let ring: Keyring
let app: Express
/** Requests Express routed into the chain: it answers 404 itself to a target its URL parser rejects. */
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
		unknown: [(await stranger.createKey({ owner: 'x' })).key, (await stranger.createKey({ owner: 'y' })).key],
		ids: [...valid.values(), revoked.info.id],
		wellFormed: (text) => parseKey(text) !== null,
		pattern: keyPattern(),
		details: REJECTIONS,
	}
	const recordError: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
		errors.push(error)
		res.status(500).json({ error: 'internal' })
	}
	app = express()
	app.use((_req, _res, next) => {
		routed++
		next()
	})
	app.use(apiKeyAuth(keyward))
	app.use((req, res) => {
		res.json({ id: req.apiKey?.id ?? null })
	})
	app.use(recordError)
})

/** Run `request` in-process; returns the problem found, if any, and how the request ended. */
async function judge(request: PlainRequest) {
	const before = routed
	const answer = await inject(app, request)
	if (routed === before) {
		return { outcome: 'unrouted', problem: answer.status === 404 ? undefined : `${answer.status} unrouted` }
	}
	const problem = answerProblem(request, answer, ring)
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
