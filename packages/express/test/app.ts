import type { Server } from 'node:http'
import type { KeyInfo } from '@keyward/core'
import { serve } from '@keyward/internal-testing'
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express'

/** What a handler behind the middleware saw of the request. */
export interface Hit {
	apiKey: KeyInfo | undefined
	hasApiKey: boolean
	url: string
	originalUrl: string
	query: Record<string, unknown>
	headers: Record<string, string | string[] | undefined>
	rawHeaders: string[]
}

/** A test app: the server, what reached the final handler, and what reached the error handler. */
export interface TestApp {
	server: Server
	hits: Hit[]
	errors: Array<{ error: unknown; seen: Hit }>
}

/** Copy what later middleware and loggers can read off `req`. */
export function snapshot(req: Request): Hit {
	return {
		apiKey: req.apiKey,
		hasApiKey: 'apiKey' in req,
		url: req.url,
		originalUrl: req.originalUrl,
		query: { ...(req.query as Record<string, unknown>) },
		headers: { ...req.headers },
		rawHeaders: [...req.rawHeaders],
	}
}

/** Final handler: records the request and answers 200 `{ reached: true }`. */
export function record(hits: Hit[]): RequestHandler {
	return function recordHit(req, res) {
		hits.push(snapshot(req))
		res.json({ reached: true })
	}
}

/** Error handler: records the error and what it saw of the request, answers 500 JSON. */
export function recordErrors(errors: TestApp['errors']): ErrorRequestHandler {
	return function recordError(error: unknown, req, res, _next) {
		errors.push({ error, seen: snapshot(req) })
		res.status(500).json({ error: 'internal' })
	}
}

/** Serve `handlers` followed by the recording handler and error handler. */
export async function serveApp(...handlers: RequestHandler[]): Promise<TestApp> {
	const hits: Hit[] = []
	const errors: TestApp['errors'] = []
	const app = express()
	for (const handler of handlers) app.use(handler)
	app.use(record(hits))
	app.use(recordErrors(errors))
	return { server: await serve(app), hits, errors }
}
