import { fileURLToPath } from 'node:url'
import { isKeywardError, type Keyward, type OwnerPatch } from '@keyward/core'
import { apiKeyAuth, keyManagementRouter, requireScopes, sessionLogin, sessionLogout } from '@keyward/express'
import express, { type Express, type NextFunction, type Request, type Response } from 'express'
import { sameOriginOnly } from './csrf.js'
import { createSessionSigner, readCookie, SESSION_COOKIE, sessionCookie } from './session.js'

/** A user of the demo sign-in. */
export interface DemoUser {
	/** Owner id of the user's keys. */
	readonly id: string
	/** Display name. */
	readonly name: string
	/** The user's account record (a monthly limit all their keys share, for example); none by default. */
	readonly account?: OwnerPatch | undefined
}

/** Options of {@link createDashboardApp}. */
export interface DashboardOptions {
	/** Who may sign in (no password: this is a demo). @defaultValue Ada and Grace */
	users?: readonly DemoUser[] | undefined
	/**
	 * HMAC secret of the sign-in cookie, at least 32 bytes. Sign-ins are kept in memory, so they end
	 * on restart whatever the secret. @defaultValue random per process
	 */
	sessionSecret?: string | Uint8Array | undefined
	/** Scopes every user may grant to their keys. @defaultValue reports:read, reports:write, billing:read */
	allowedScopes?: readonly string[] | undefined
	/** Longest key lifetime. @defaultValue 365 days */
	maxLifetimeMs?: number | undefined
	/** Highest monthly quota of a key. @defaultValue 1,000,000 */
	maxQuota?: number | undefined
	/** Mark the cookie `Secure` (serve over HTTPS then). @defaultValue false */
	secureCookies?: boolean | undefined
}

/**
 * The cookie that signs the page's own API calls in with a key (`sessionLogin`): sent only to
 * `/api`, apart from the dashboard's sign-in cookie.
 */
export const API_SESSION = Object.freeze({ cookie: 'kw_session', path: '/api' })

/** The default demo users: two, to show that each sees only their own keys. */
export const DEMO_USERS: readonly DemoUser[] = [
	{ id: 'ada', name: 'Ada Lovelace', account: { monthlyQuota: 10_000 } },
	{ id: 'grace', name: 'Grace Hopper' },
]

/** Give each user that has one their account record (`setOwner`), before serving them. */
export async function setUpAccounts(
	keyward: Keyward,
	users: readonly DemoUser[] = DEMO_USERS,
): Promise<void> {
	for (const user of users) if (user.account !== undefined) await keyward.setOwner(user.id, user.account)
}

const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url))
const CSP = [
	"default-src 'self'",
	"script-src 'self'",
	"style-src 'self'",
	"img-src 'self' data:",
	"connect-src 'self'",
	"base-uri 'none'",
	"form-action 'self'",
	"frame-ancestors 'none'",
].join('; ')

/**
 * The key dashboard: the page (static files), a demo sign-in (`GET`/`POST`/`DELETE /session`),
 * self-service key management for the signed-in user under `/account` (`keyManagementRouter`
 * plus `GET /account/usage`), and the API the keys are for under `/api`, which takes a key or the
 * session cookie of a login with one (`POST /api/login`, `POST /api/logout`): the page signs its
 * own API calls in that way instead of keeping the key.
 * @example
 * createDashboardApp(createKeyward()).listen(3030)
 */
export function createDashboardApp(keyward: Keyward, options: Readonly<DashboardOptions> = {}): Express {
	const users = options.users ?? DEMO_USERS
	const allowedScopes = options.allowedScopes ?? ['reports:read', 'reports:write', 'billing:read']
	const maxLifetimeMs = options.maxLifetimeMs ?? 365 * 86_400_000
	const maxQuota = options.maxQuota ?? 1_000_000
	const secure = options.secureCookies ?? false
	const signer = createSessionSigner({ secret: options.sessionSecret })

	/** The signed-in user, if the cookie is genuine, its sign-in has not ended, and the user still exists. */
	function userOf(req: Request): DemoUser | undefined {
		const id = signer.read(readCookie(req.headers, SESSION_COOKIE))
		return users.find((user) => user.id === id)
	}

	const app = express()
	app.disable('x-powered-by')
	app.use(function securityHeaders(_req, res, next) {
		res.set({
			'Content-Security-Policy': CSP,
			'X-Content-Type-Options': 'nosniff',
			'Referrer-Policy': 'no-referrer',
			'Cross-Origin-Opener-Policy': 'same-origin',
		})
		next()
	})

	const session = express.Router()
	session.use(sameOriginOnly(), express.json({ limit: '1kb' }))
	session.get('/', (req, res) => {
		res.set('Cache-Control', 'no-store').json({
			user: userOf(req) ?? null,
			users,
			allowedScopes,
			maxLifetimeMs,
			maxQuota,
		})
	})
	session.post('/', (req, res) => {
		const id: unknown = (req.body as { user?: unknown } | undefined)?.user
		const user = users.find((candidate) => candidate.id === id)
		if (user === undefined) {
			res.status(400).json({ detail: 'Unknown demo user', code: 'unknown_user' })
			return
		}
		// A browser signing in again (as anyone) gives up the session its cookie held.
		signer.end(readCookie(req.headers, SESSION_COOKIE))
		res.set('Set-Cookie', sessionCookie(signer.sign(user.id), signer.ttlMs, secure)).json({ user })
	})
	// Sign-out ends this browser's session on the server, so a copy of the cookie is refused from now
	// on; the user's sign-ins in other browsers go on.
	session.delete('/', (req, res) => {
		signer.end(readCookie(req.headers, SESSION_COOKIE))
		res
			.set('Set-Cookie', sessionCookie('', 0, secure))
			.status(204)
			.end()
	})
	app.use('/session', session)

	// The key routes defend themselves against cross-site requests (same origin, JSON only):
	// keyManagementRouter refuses what a page of another origin can make the browser send.
	const account = express.Router()
	account.get('/usage', async (req, res) => {
		const user = userOf(req)
		if (user === undefined) {
			res.status(401).json({ detail: 'Not authenticated', code: 'missing' })
			return
		}
		const keys = await keyward.listKeys({ owner: user.id })
		const usage = await Promise.all(keys.map(async (key) => [key.id, await keyward.usage(key.id)] as const))
		res.set('Cache-Control', 'no-store').json({ usage: Object.fromEntries(usage) })
	})
	account.use(
		keyManagementRouter(keyward, {
			owner: (req) => userOf(req)?.id,
			allowedScopes,
			maxLifetimeMs,
			maxQuota,
			maxKeys: 20,
		}),
	)
	app.use('/account', account)

	// Logging in with a key gives the page a cookie for /api: its "Try it" calls never carry the key.
	app.post('/api/login', sessionLogin(keyward, API_SESSION))
	app.post('/api/logout', sessionLogout(keyward, API_SESSION))
	const api = express.Router()
	api.use(apiKeyAuth(keyward, { session: API_SESSION }))
	api.get('/hello', (req, res) => {
		res.json({ message: `Hello, ${req.apiKey?.owner}!`, keyId: req.apiKey?.id })
	})
	api.get('/reports', requireScopes('reports:read'), (_req, res) => {
		res.json({ reports: [{ id: 1, title: 'Monthly usage' }] })
	})
	app.use('/api', api)

	app.use(express.static(PUBLIC_DIR, { index: 'index.html', redirect: false }))
	app.use(function notFound(_req, res) {
		res.status(404).json({ detail: 'Not found', code: 'not_found' })
	})
	app.use(function internalError(error: unknown, _req: Request, res: Response, next: NextFunction) {
		if (res.headersSent) return next(error)
		const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown }
		if (typeof type === 'string' && typeof status === 'number' && status >= 400 && status < 500) {
			res.status(status).json({ detail: 'Bad request body', code: 'bad_request' })
			return
		}
		if (isKeywardError(error) && error.code === 'store_unavailable') {
			res.status(503).json({ detail: 'Key store unavailable', code: 'unavailable' })
			return
		}
		console.error(error)
		res.status(500).json({ detail: 'Something went wrong on our side', code: 'internal' })
	})
	return app
}
