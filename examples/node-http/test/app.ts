import type { IncomingMessage, ServerResponse } from 'node:http'
import { type AuthApp, type MiddlewareAdapter, type Seen, serve } from '@keyward/internal-testing'
import { apiKeyAuth, requireScopes, runSteps, type Step, sendJson } from '../src/adapter.js'

/** Copy what later steps and loggers can read off `req`. */
export function snapshot(req: IncomingMessage): Seen {
	const url = req.url ?? ''
	return {
		apiKey: req.apiKey,
		hasApiKey: 'apiKey' in req,
		urls: { url },
		query: Object.fromEntries(new URL(url, 'http://x').searchParams),
		headers: { ...req.headers },
		rawHeaders: [...req.rawHeaders],
	}
}

/** Per-request state of the test's steps (plain `node:http` has none of its own). */
const states = new WeakMap<IncomingMessage, Record<string, unknown>>()
const stateOf = (req: IncomingMessage) => {
	let state = states.get(req)
	if (state === undefined) {
		state = {}
		states.set(req, state)
	}
	return state
}
const pathOf = (req: IncomingMessage) => new URL(req.url ?? '/', 'http://x').pathname

/** Serve `steps`, then a final handler that records the request; a throwing step answers 500. */
export async function serveApp(...steps: Step[]): Promise<AuthApp> {
	const hits: Seen[] = []
	const errors: AuthApp['errors'] = []
	const handler = async (req: IncomingMessage, res: ServerResponse) => {
		try {
			if (!(await runSteps(req, res, steps))) return
			hits.push(snapshot(req))
			sendJson(res, 200, { reached: true })
		} catch (error) {
			errors.push({ error, seen: snapshot(req) })
			sendJson(res, 500, { error: 'internal' })
		}
	}
	return { server: await serve((req, res) => void handler(req, res)), hits, errors }
}

/** The plain `node:http` adapter as the shared middleware suites drive it. */
export const adapter: MiddlewareAdapter<Step, (req: IncomingMessage) => boolean | Promise<boolean>> = {
	apiKeyAuth,
	requireScopes,
	serveApp,
	keyAt: 'req.apiKey',
	stateAt: 'per-request state',
	errorText: JSON.stringify({ error: 'internal' }),
	urlForms: { url: 'path' },
	viewing: (use) => (req) => {
		use({ path: pathOf(req), state: stateOf(req) })
		return true
	},
	skipWhen: (test) => (req) => test({ path: pathOf(req), state: stateOf(req) }),
	logger: (lines) => (req, res) => {
		res.on('finish', () => lines.push(snapshot(req)))
		return true
	},
	throwing: (message) => () => {
		throw new Error(message)
	},
}
