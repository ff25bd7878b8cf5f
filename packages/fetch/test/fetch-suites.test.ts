import { getRequestListener } from '@hono/node-server'
import type { Keyward } from '@keyward/core'
import {
	describeAdapterFaults,
	describeAdapterFuzz,
	describeAdapterHostileRequests,
	serve,
	useHarness,
} from '@keyward/internal-testing'
import { withApiKey } from '../src/index.js'

// The Web-standard path on its own (withApiKey over createRequestVerifier), served on Node by
// @hono/node-server's listener, through the suites every adapter passes.
useHarness()

/** A Node listener for `withApiKey(handler)`; a throw is recorded and answered 500. */
function listener(keyward: Keyward, record: { enter?(): void; hit?(): void; error(error: unknown): void }) {
	const protectedRoute = withApiKey((request, _context, apiKey) => {
		record.hit?.()
		return Response.json({ id: apiKey?.id ?? null, url: request.url })
	}, keyward)
	return getRequestListener(async (request) => {
		record.enter?.()
		try {
			return await protectedRoute(request, {})
		} catch (error) {
			record.error(error)
			return Response.json({ error: 'internal' }, { status: 500 })
		}
	})
}

describeAdapterFaults(async (keyward) => {
	const hits: unknown[] = []
	const errors: unknown[] = []
	const server = await serve(listener(keyward, { hit: () => hits.push(1), error: (e) => errors.push(e) }))
	return { server, hits, errors }
})
describeAdapterHostileRequests({ listener })
describeAdapterFuzz({
	answersUnroutedWith: 400,
	headers: 'web',
	listener: (keyward, record) => {
		const protectedRoute = withApiKey(
			(_request, _context, apiKey) => Response.json({ id: apiKey?.id ?? null }),
			keyward,
		)
		return getRequestListener((request) => {
			record.enter()
			return protectedRoute(request, {}).catch((error: unknown) => {
				record.error(error)
				return Response.json({ error: 'internal' }, { status: 500 })
			})
		})
	},
})
