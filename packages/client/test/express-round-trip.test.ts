import type { AddressInfo } from 'node:net'
import { createKeyward, type KeyStore, type Keyward, MemoryStore } from '@keyward/core'
import { failingStore, generateKey } from '@keyward/core/testing'
import { createApp } from '@keyward/example-express/app'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
	AuthenticationError,
	KeywardApiError,
	PermissionError,
	QuotaExceededError,
	ServiceUnavailableError,
} from '../src/api-errors.js'
import { type ClientOptions, createClient } from '../src/client.js'
import { CredentialsFile } from '../src/credentials-file.js'
import { useTempDirs } from './helpers.js'

const tempDir = useTempDirs()

/** A store that cannot be reached: keyward must answer 503, never let the request through. */
const brokenStore: KeyStore = failingStore()

/** Starts the Express example on 127.0.0.1 with a free port. */
async function serve(keyward: Keyward): Promise<{ baseUrl: string; close(): Promise<void> }> {
	const server = createApp(keyward).listen(0, '127.0.0.1')
	await new Promise<void>((resolve, reject) => {
		server.once('listening', resolve)
		server.once('error', reject)
	})
	const { port } = server.address() as AddressInfo
	return {
		baseUrl: `http://127.0.0.1:${port}`,
		close: () =>
			new Promise<void>((resolve, reject) => {
				server.closeAllConnections()
				server.close((error) => (error ? reject(error) : resolve()))
			}),
	}
}

async function failure(promise: Promise<unknown>): Promise<KeywardApiError> {
	const error = await promise.then(
		() => undefined,
		(e: unknown) => e,
	)
	if (!(error instanceof KeywardApiError)) throw new Error(`expected a KeywardApiError, got ${String(error)}`)
	return error
}

describe('round trip against the Express example', () => {
	const keyward = createKeyward({ store: new MemoryStore() })
	const down = createKeyward({ store: brokenStore })
	let api: Awaited<ReturnType<typeof serve>>
	let broken: Awaited<ReturnType<typeof serve>>
	let reader: string
	let admin: string
	let metered: string
	let revoked: string

	beforeAll(async () => {
		reader = (await keyward.createKey({ owner: 'ada', scopes: ['reports:read'] })).key
		admin = (await keyward.createKey({ owner: 'root', scopes: ['*'] })).key
		metered = (await keyward.createKey({ owner: 'trial', monthlyQuota: 1 })).key
		const old = await keyward.createKey({ owner: 'ada' })
		await keyward.revokeKey(old.info.id)
		revoked = old.key
		api = await serve(keyward)
		broken = await serve(down)
	})

	afterAll(async () => {
		await Promise.all([api.close(), broken.close()])
		await Promise.all([keyward.close(), down.close()])
	})

	const clientFor = (options: Partial<ClientOptions>) =>
		createClient({ baseUrl: api.baseUrl, env: {}, credentialsFile: false, retry: false, ...options })

	it('200: a key given as an argument reaches the API', async () => {
		const client = clientFor({ apiKey: reader })
		expect(await client.json('/api/hello')).toMatchObject({
			message: 'Hello, ada!',
			scopes: ['reports:read'],
		})
		expect(await client.json('/api/reports')).toEqual({ reports: [{ id: 1, title: 'November usage' }] })
		expect(await client.json('/public')).toEqual({ message: 'Anyone can read this.' })
		expect(client.quota).toBeUndefined() // no quota on this key
	})

	it('200: a key from the environment variable, and one from the credentials file', async () => {
		const fromEnv = clientFor({ envVar: 'EXAMPLE_API_KEY', env: { EXAMPLE_API_KEY: admin } })
		expect(await fromEnv.json('/api/admin')).toEqual({ message: 'Admin area', owner: 'root' })

		const home = await tempDir()
		await new CredentialsFile({ appName: 'example', homedir: home, env: {} }).set('default', reader)
		const fromFile = createClient({ baseUrl: api.baseUrl, appName: 'example', homedir: home, env: {} })
		expect(await fromFile.json('/api/hello')).toMatchObject({ message: 'Hello, ada!' })
		expect(await fromFile.resolveKey()).toMatchObject({ source: 'credentials_file' })
	})

	it('401: unknown, malformed and revoked keys are AuthenticationErrors', async () => {
		for (const [key, code, detail] of [
			[generateKey(), 'invalid', 'Invalid API key'],
			['kw_wrong', 'malformed', 'Invalid API key'],
			[revoked, 'revoked', 'API key has been revoked'],
		] as const) {
			const error = await failure(clientFor({ apiKey: key }).fetch('/api/hello'))
			expect(error).toBeInstanceOf(AuthenticationError)
			expect(error).toMatchObject({ status: 401, code, detail })
			expect(error.headers.get('www-authenticate')).toBe('Apikey realm="api"')
			expect(error.message).not.toContain(key)
		}
	})

	it('403: a missing scope is a PermissionError', async () => {
		const error = await failure(clientFor({ apiKey: reader }).fetch('/api/admin'))
		expect(error).toBeInstanceOf(PermissionError)
		expect(error).toMatchObject({ status: 403, code: 'insufficient_scope', detail: 'Insufficient scope' })
	})

	it('429: a used-up quota is a QuotaExceededError with its reset time, and is not retried', async () => {
		const sleeps: number[] = []
		const client = clientFor({
			apiKey: metered,
			retry: { retries: 3 },
			sleep: async (ms) => void sleeps.push(ms),
		})
		await client.json('/api/hello')
		expect(client.quota).toMatchObject({ limit: 1, remaining: 0, policy: 'monthly' })
		const error = await failure(client.fetch('/api/hello'))
		expect(error).toBeInstanceOf(QuotaExceededError)
		expect(error).toMatchObject({ status: 429, code: 'quota_exceeded', detail: 'Monthly quota exceeded' })
		const resetAt = (error as QuotaExceededError).resetAt
		const now = new Date()
		const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)
		// Retry-After counts whole seconds up to the first instant of next month (UTC)
		expect(Math.abs((resetAt?.getTime() ?? 0) - nextMonth)).toBeLessThan(60_000)
		expect(error.quota).toMatchObject({ limit: 1, remaining: 0 })
		expect(sleeps).toEqual([])
	})

	it('503: an unreachable store is a ServiceUnavailableError, after the configured retries', async () => {
		const sleeps: number[] = []
		const client = createClient({
			baseUrl: broken.baseUrl,
			apiKey: reader,
			env: {},
			retry: { retries: 2, minDelayMs: 10, maxDelayMs: 100 },
			random: () => 0,
			sleep: async (ms) => void sleeps.push(ms),
		})
		const error = await failure(client.fetch('/api/hello'))
		expect(error).toBeInstanceOf(ServiceUnavailableError)
		expect(error).toMatchObject({ status: 503, code: 'unavailable', detail: 'Authentication unavailable' })
		expect(sleeps).toEqual([5, 10])
		expect(await client.json('/public')).toEqual({ message: 'Anyone can read this.' })
	})
})
