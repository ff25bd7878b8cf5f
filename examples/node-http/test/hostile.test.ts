import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Keyward } from '@keyward/core'
import {
	describeAdapterFaults,
	describeAdapterFuzz,
	describeAdapterHostileRequests,
	useHarness,
} from '@keyward/internal-testing'
import { apiKeyAuth, sendJson } from '../src/adapter.js'
import { serveApp } from './app.js'

useHarness()
describeAdapterFaults((keyward) => serveApp(apiKeyAuth(keyward)))

/** `apiKeyAuth`, then an answer of `answer(req)`; a throw is recorded and answered 500. */
function listener(
	keyward: Keyward,
	record: { enter?(): void; hit?(): void; error(error: unknown): void },
	answer: (req: IncomingMessage) => unknown,
) {
	const auth = apiKeyAuth(keyward)
	return async (req: IncomingMessage, res: ServerResponse) => {
		record.enter?.()
		try {
			if (!(await auth(req, res))) return
			record.hit?.()
			sendJson(res, 200, answer(req))
		} catch (error) {
			record.error(error)
			sendJson(res, 500, { error: 'internal' })
		}
	}
}

describeAdapterHostileRequests({
	listener: (keyward, record) =>
		listener(keyward, record, (req) => ({ id: req.apiKey?.id ?? null, url: req.url })),
})
describeAdapterFuzz({
	answersUnroutedWith: false,
	listener: (keyward, record) => listener(keyward, record, (req) => ({ id: req.apiKey?.id ?? null })),
})
