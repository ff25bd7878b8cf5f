// The HTTP rows: one server setup per row. Every server answers GET / with the same small JSON
// body, so the difference between a row and its bare server is what authentication costs.
import * as crypto from 'node:crypto'
import { createKeyward, MemoryStore } from '@keyward/core'

/**
 * A key budget no benchmark run can use up: quota is counted on every request, never refused. One
 * billion, as in the independent harness whose conditions these rows follow (a larger number only
 * makes every RateLimit header longer to write).
 */
export const QUOTA = 1_000_000_000

const sha256 = (text) => crypto.hash('sha256', text, 'hex')

/**
 * @typedef {{ framework: 'express' | 'koa' | 'fastify' | 'hono', label: string, needs?: ('pg' | 'redis')[], setup: (env: Env) => Promise<Setup> }} Row
 * @typedef {{ pgUrl: string, redisUrl: string, schema: string, prefix: string }} Env
 * @typedef {{ use?: unknown[], plugin?: [unknown, object], key?: string, close?: () => Promise<void> }} Setup
 */

/** Hand-written check: SHA-256 of the header, one Map lookup. What a careful engineer writes in ten lines. */
function handWrittenKeys() {
	const key = crypto.randomBytes(24).toString('base64url')
	const keys = new Map([[sha256(key), { id: 'k1', owner: 'bench' }]])
	return { key, keys }
}

/** keyward on a MemoryStore with one key: with a quota unless `quota` is false; `options` go to createKeyward. */
async function keywardOnMemory({ options = {}, quota = true } = {}) {
	const keyward = createKeyward({ store: new MemoryStore(), ...options })
	const limits = quota ? { monthlyQuota: QUOTA } : {}
	const { key } = await keyward.createKey({ owner: 'bench', scopes: ['read'], ...limits })
	return { keyward, key }
}

async function keywardOnPostgresAndRedis(env, batched) {
	const { openPostgresStore } = await import('@keyward/postgres')
	const { connectRedis } = await import('@keyward/redis')
	const store = await openPostgresStore({ url: env.pgUrl, schema: env.schema })
	const redis = await connectRedis({ url: env.redisUrl, prefix: env.prefix, batch: batched })
	const keyward = createKeyward({ store, usage: redis.usage, invalidation: redis.invalidation })
	const { key } = await keyward.createKey({ owner: 'bench', scopes: ['read'], monthlyQuota: QUOTA })
	return { keyward, key }
}

async function expressKeyward(keyward, key) {
	const { apiKeyAuth } = await import('@keyward/express')
	return { use: [apiKeyAuth(keyward)], key, close: () => keyward.close() }
}

async function koaKeyward(keyward, key) {
	const { apiKeyAuth } = await import('@keyward/koa')
	return { use: [apiKeyAuth(keyward)], key, close: () => keyward.close() }
}

async function fastifyKeyward(keyward, key) {
	const { keywardAuth } = await import('@keyward/fastify')
	return { plugin: [keywardAuth, { keyward }], key, close: () => keyward.close() }
}

async function honoKeyward(keyward, key) {
	const { apiKeyAuth } = await import('@keyward/fetch/hono')
	return { use: [apiKeyAuth(keyward)], key, close: () => keyward.close() }
}

/** @type {Record<string, Row>} */
export const ROWS = {
	'express-bare': {
		framework: 'express',
		label: 'Express 5, no auth',
		setup: async () => ({}),
	},
	'express-handwritten': {
		framework: 'express',
		label: 'Express 5 + hand-written SHA-256 + Map',
		setup: async () => {
			const { key, keys } = handWrittenKeys()
			const check = (req, res, next) => {
				const presented = req.headers['x-api-key']
				const found = typeof presented === 'string' ? keys.get(sha256(presented)) : undefined
				if (found === undefined) return res.status(401).json({ detail: 'Invalid API key' })
				req.apiKeyRecord = found
				next()
			}
			return { use: [check], key }
		},
	},
	'express-keyward': {
		framework: 'express',
		label: 'Express 5 + keyward (MemoryStore, quota)',
		setup: async () => {
			const { keyward, key } = await keywardOnMemory()
			return expressKeyward(keyward, key)
		},
	},
	'express-keyward-pg-redis': {
		framework: 'express',
		label: 'Express 5 + keyward (PostgreSQL + Redis, exact quota)',
		needs: ['pg', 'redis'],
		setup: async (env) => {
			const { keyward, key } = await keywardOnPostgresAndRedis(env, false)
			return expressKeyward(keyward, key)
		},
	},
	'express-keyward-pg-redis-batched': {
		framework: 'express',
		label: 'Express 5 + keyward (PostgreSQL + Redis, batched quota)',
		needs: ['pg', 'redis'],
		setup: async (env) => {
			const { keyward, key } = await keywardOnPostgresAndRedis(env, true)
			return expressKeyward(keyward, key)
		},
	},
	'express-passport': {
		framework: 'express',
		label: 'Express 5 + passport-headerapikey (SHA-256 + Map)',
		setup: async () => {
			const { default: passport } = await import('passport')
			const { HeaderAPIKeyStrategy } = await import('passport-headerapikey')
			const { key, keys } = handWrittenKeys()
			passport.use(
				new HeaderAPIKeyStrategy({ header: 'x-api-key', prefix: '' }, false, (presented, done) => {
					done(null, keys.get(sha256(presented)) ?? false)
				}),
			)
			return { use: [passport.initialize(), passport.authenticate('headerapikey', { session: false })], key }
		},
	},
	'express-better-auth': {
		framework: 'express',
		label: 'Express 5 + better-auth API-key plugin (memory adapter, quota)',
		setup: async () => {
			const { betterAuth } = await import('better-auth')
			const { apiKey } = await import('@better-auth/api-key')
			const auth = betterAuth({
				secret: crypto.randomBytes(32).toString('hex'),
				baseURL: 'http://127.0.0.1',
				telemetry: { enabled: false },
				logger: { disabled: true },
				emailAndPassword: { enabled: true },
				// Its per-key rate limit (10 a day by default) is off: quota (`remaining`) is the comparable feature.
				plugins: [apiKey({ rateLimit: { enabled: false } })],
			})
			const { user } = await auth.api.signUpEmail({
				body: { email: 'bench@example.com', password: 'bench-password-1234', name: 'bench' },
			})
			const created = await auth.api.createApiKey({ body: { userId: user.id, remaining: QUOTA } })
			const check = async (req, res, next) => {
				const presented = req.headers['x-api-key']
				const result =
					typeof presented === 'string'
						? await auth.api.verifyApiKey({ body: { key: presented } })
						: undefined
				if (result?.valid !== true) return res.status(401).json({ detail: 'Invalid API key' })
				req.apiKeyRecord = result.key
				next()
			}
			return { use: [check], key: created.key }
		},
	},
	'koa-bare': {
		framework: 'koa',
		label: 'Koa 3, no auth',
		setup: async () => ({}),
	},
	'koa-handwritten': {
		framework: 'koa',
		label: 'Koa 3 + hand-written SHA-256 + Map',
		setup: async () => {
			const { key, keys } = handWrittenKeys()
			const check = async (ctx, next) => {
				const presented = ctx.req.headers['x-api-key']
				const found = typeof presented === 'string' ? keys.get(sha256(presented)) : undefined
				if (found === undefined) {
					ctx.status = 401
					ctx.body = { detail: 'Invalid API key' }
					return
				}
				ctx.state.apiKeyRecord = found
				await next()
			}
			return { use: [check], key }
		},
	},
	'koa-keyward': {
		framework: 'koa',
		label: 'Koa 3 + keyward (MemoryStore, quota)',
		setup: async () => {
			const { keyward, key } = await keywardOnMemory()
			return koaKeyward(keyward, key)
		},
	},
	'fastify-bare': {
		framework: 'fastify',
		label: 'Fastify 5, no auth',
		setup: async () => ({}),
	},
	'fastify-handwritten': {
		framework: 'fastify',
		label: 'Fastify 5 + hand-written SHA-256 + Map',
		setup: async () => {
			const { key, keys } = handWrittenKeys()
			const check = (request, reply, done) => {
				const presented = request.headers['x-api-key']
				const found = typeof presented === 'string' ? keys.get(sha256(presented)) : undefined
				if (found === undefined) return reply.code(401).send({ detail: 'Invalid API key' })
				request.apiKeyRecord = found
				done()
			}
			return { use: [check], key }
		},
	},
	'fastify-keyward': {
		framework: 'fastify',
		label: 'Fastify 5 + keyward (MemoryStore, quota)',
		setup: async () => {
			const { keyward, key } = await keywardOnMemory()
			return fastifyKeyward(keyward, key)
		},
	},
	'hono-bare': {
		framework: 'hono',
		label: 'Hono 4 on @hono/node-server, no auth',
		setup: async () => ({}),
	},
	'hono-handwritten': {
		framework: 'hono',
		label: 'Hono 4 on @hono/node-server + hand-written SHA-256 + Map',
		setup: async () => {
			const { key, keys } = handWrittenKeys()
			const check = async (c, next) => {
				const presented = c.req.header('x-api-key')
				const found = presented === undefined ? undefined : keys.get(sha256(presented))
				if (found === undefined) return c.json({ detail: 'Invalid API key' }, 401)
				c.set('apiKeyRecord', found)
				await next()
			}
			return { use: [check], key }
		},
	},
	'hono-keyward': {
		framework: 'hono',
		label: 'Hono 4 on @hono/node-server + keyward (MemoryStore, quota)',
		setup: async () => {
			const { keyward, key } = await keywardOnMemory()
			return honoKeyward(keyward, key)
		},
	},
}

/**
 * Rows the injection suite adds to take keyward's cost apart (not HTTP rows): Koa with keyward,
 * once without usage history and lastUsedAt tracking, once with a key that has no quota (nothing
 * counted, no RateLimit headers sent).
 */
export const BREAKDOWN_ROWS = {
	'koa-keyward-no-history': {
		framework: 'koa',
		label: 'Koa 3 + keyward (MemoryStore, quota; history and lastUsed off)',
		setup: async () => {
			const { keyward, key } = await keywardOnMemory({ options: { history: false, lastUsed: false } })
			return koaKeyward(keyward, key)
		},
	},
	'koa-keyward-no-headers': {
		framework: 'koa',
		label: 'Koa 3 + keyward (MemoryStore, quota counted; rateLimitHeaders: false)',
		setup: async () => {
			const { keyward, key } = await keywardOnMemory({ options: { rateLimitHeaders: false } })
			return koaKeyward(keyward, key)
		},
	},
	'koa-keyward-no-quota': {
		framework: 'koa',
		label: 'Koa 3 + keyward (MemoryStore, key without a quota: no counting, no RateLimit headers)',
		setup: async () => {
			const { keyward, key } = await keywardOnMemory({ quota: false })
			return koaKeyward(keyward, key)
		},
	},
}
