import { withAuditContext } from './audit-context.js'
import { isSameOriginRequest } from './cross-site.js'
import { isKeywardError, KeywardError, type KeywardErrorCode } from './errors.js'
import {
	type KeyManagementPolicy,
	KeyManagementRefusal,
	type KeyManagerHost,
	resolvePolicy,
} from './key-management-policy.js'
import type { Keyward } from './keyward.js'
import { isJsonMediaType, mediaTypeOf } from './request-body.js'
import type { KeyInfo, OwnerInfo } from './types.js'

/** What a caller can ask a key manager to do. */
export type KeyManagementOperation =
	| 'list'
	| 'create'
	| 'revokeAll'
	| 'get'
	| 'revoke'
	| 'delete'
	| 'rotate'
	| 'history'
	| 'accountHistory'

/** The routes of a key manager, relative to where it is mounted; `:id` is a key id. */
export const KEY_MANAGEMENT_ROUTES: readonly {
	readonly method: 'GET' | 'POST' | 'DELETE'
	readonly path: string
	readonly operation: KeyManagementOperation
}[] = Object.freeze([
	{ method: 'GET', path: '/keys', operation: 'list' },
	{ method: 'POST', path: '/keys', operation: 'create' },
	{ method: 'POST', path: '/keys/revoke-all', operation: 'revokeAll' },
	{ method: 'GET', path: '/keys/:id', operation: 'get' },
	{ method: 'POST', path: '/keys/:id/revoke', operation: 'revoke' },
	{ method: 'DELETE', path: '/keys/:id', operation: 'delete' },
	{ method: 'POST', path: '/keys/:id/rotate', operation: 'rotate' },
	{ method: 'GET', path: '/keys/:id/history', operation: 'history' },
	{ method: 'GET', path: '/history', operation: 'accountHistory' },
] as const)

/** One call to a key manager, as an adapter sees it. */
export interface KeyManagementCall<R> {
	readonly request: R
	readonly operation: KeyManagementOperation
	/** The request's headers (Node's `IncomingMessage.headers`). */
	readonly headers: Readonly<Record<string, string | string[] | undefined>>
	/** The origin the request was sent to, as the framework sees it (`https://app.example`). */
	readonly origin: string
	/** The `:id` of the route, `''` for routes without one. */
	readonly id: string
	/** Client address recorded in audit entries. */
	readonly source: string | undefined
	/** The JSON object body (`{}` when there is none); read only by operations that take one. */
	readonly body: () => Record<string, unknown> | Promise<Record<string, unknown>>
	/**
	 * The request's URL with its query (`/account/keys/abc/history?days=7`), for the operations that
	 * read a query parameter (`days` of the history routes). Without it, they use their defaults.
	 */
	readonly url?: string | undefined
}

/** A self-service key manager, from {@link createKeyManager}. */
export interface KeyManager<R> {
	/**
	 * Authenticate the caller, run the operation in its audit context, and answer
	 * `[status, JSON body]`. Refusals and management errors a caller can cause are answers; a throw
	 * from `owner()` and unexpected errors are thrown for the framework to handle.
	 */
	handle(call: KeyManagementCall<R>): Promise<readonly [status: number, body: unknown]>
}

/** Operations that change keys: they must come from this site, as JSON (or as a DELETE). */
const CHANGES: ReadonlySet<KeyManagementOperation> = new Set([
	'create',
	'revokeAll',
	'revoke',
	'delete',
	'rotate',
])
const ID = /^[0-9A-Za-z]{1,64}$/
/** Management errors a caller can cause (core's messages are fixed text), by HTTP status. */
const STATUS_OF: Partial<Record<KeywardErrorCode, number>> = {
	key_not_found: 404,
	invalid_argument: 400,
	key_not_active: 409,
	store_unavailable: 503,
	not_supported: 501,
}
const notFound = () => new KeyManagementRefusal(404, 'key_not_found', 'No such key')
/** Days of history a caller may ask for at once. */
const MAX_HISTORY_DAYS = 90

/** The `days` query parameter of a history route: 1 to 90, 30 when absent. */
function historyDays(url: string | undefined): number {
	const refused = new KeyManagementRefusal(
		400,
		'invalid_argument',
		`days must be a whole number from 1 to ${MAX_HISTORY_DAYS}`,
	)
	let given: string[]
	try {
		given = url === undefined ? [] : new URL(url, 'http://localhost').searchParams.getAll('days')
	} catch {
		throw refused
	}
	if (given.length === 0) return 30
	const days = /^\d{1,3}$/.test(given[0] as string) ? Number(given[0]) : 0
	if (given.length > 1 || days < 1 || days > MAX_HISTORY_DAYS) throw refused
	return days
}

/** The answer to a thrown error, or `undefined` when it is not one a caller caused. */
function answerTo(error: unknown): readonly [number, unknown] | undefined {
	if (error instanceof KeyManagementRefusal)
		return [error.status, { detail: error.message, code: error.code }]
	const status = isKeywardError(error) ? STATUS_OF[error.code] : undefined
	if (status === undefined) return undefined
	const { message, code } = error as KeywardError
	return [status, { detail: message, code: code === 'store_unavailable' ? 'unavailable' : code }]
}

/** Why a call that changes keys is refused before anyone asks who is calling (CSRF), if it is. */
function crossSiteAnswer(call: KeyManagementCall<unknown>, trustedOrigins: readonly string[]) {
	if (!CHANGES.has(call.operation)) return undefined
	if (!isSameOriginRequest({ headers: call.headers, origin: call.origin, trustedOrigins }))
		return [403, { detail: 'Cross-origin request refused', code: 'cross_origin' }] as const
	// A cross-site form or no-cors fetch can send text/plain or a form type, never JSON.
	if (call.operation !== 'delete' && !isJsonMediaType(mediaTypeOf(call)))
		return [415, { detail: 'Send the request as application/json', code: 'unsupported_media_type' }] as const
	return undefined
}

/**
 * The framework-neutral half of `keyManagementRouter`: validates the policy at once (an invalid
 * option throws `KeywardError('invalid_option')`) and answers calls; adapters route, read the
 * body and send the answer.
 */
export function createKeyManager<R>(
	keyward: Keyward,
	options: Readonly<KeyManagementPolicy<R>>,
	host: KeyManagerHost,
): KeyManager<R> {
	if (typeof keyward?.createKey !== 'function') {
		throw new KeywardError('invalid_argument', `${host.name} expects a keyward from createKeyward()`)
	}
	const policy = resolvePolicy(options, host)

	async function ownKey(owner: string, id: string): Promise<KeyInfo> {
		if (!ID.test(id)) throw notFound()
		const found = (await keyward.listKeys({ owner })).find((k) => k.id === id)
		if (found === undefined) throw notFound()
		return found
	}

	type Answer = Promise<readonly [status: number, body: unknown]>

	/** The caller's account record, refusing a disabled account anything but reading and revoking. */
	async function activeAccount(owner: string): Promise<OwnerInfo | null> {
		const account = await keyward.getOwner(owner)
		if (account?.disabled === true)
			throw new KeyManagementRefusal(403, 'owner_disabled', 'The account is disabled')
		return account
	}

	async function create(call: KeyManagementCall<R>, owner: string): Answer {
		const fields = await call.body()
		const account = await activeAccount(owner)
		const input = policy.createInput(fields, await policy.allowedFor(call.request, owner, account), account)
		try {
			const { key, info } = await keyward.createKey({ ...input, owner }, policy.limits)
			return [201, { key, info }]
		} catch (error) {
			throw policy.tooManyKeys(error)
		}
	}

	async function rotate(call: KeyManagementCall<R>, owner: string): Answer {
		const fields = await call.body()
		const found = await ownKey(owner, call.id)
		const account = await activeAccount(owner)
		const graceMs = policy.rotation(found, fields, await policy.allowedFor(call.request, owner, account))
		const { key, info, previous } = await keyward.rotateKey(found.id, { graceMs })
		return [201, { key, info, previous }]
	}

	const operations: Record<KeyManagementOperation, (call: KeyManagementCall<R>, owner: string) => Answer> = {
		list: async (_call, owner) => {
			const [keys, account] = await Promise.all([keyward.listKeys({ owner }), keyward.getOwner(owner)])
			const usage = account?.monthlyQuota == null ? null : await keyward.ownerUsage(owner)
			return [200, { keys, account: account === null ? null : { ...account, usage } }]
		},
		create,
		revokeAll: async (_call, owner) => [200, { revoked: await keyward.revokeAll(owner) }],
		get: async (call, owner) => [200, { info: await ownKey(owner, call.id) }],
		revoke: async (call, owner) => [
			200,
			{ info: await keyward.revokeKey((await ownKey(owner, call.id)).id) },
		],
		delete: async (call, owner) => [
			200,
			{ info: await keyward.deleteKey((await ownKey(owner, call.id)).id) },
		],
		rotate,
		history: async (call, owner) => {
			const days = historyDays(call.url)
			const { id } = await ownKey(owner, call.id)
			return [200, { history: await keyward.usageHistory({ key: id, days }) }]
		},
		accountHistory: async (call, owner) => [
			200,
			{ history: await keyward.usageHistory({ owner, days: historyDays(call.url) }) },
		],
	}

	return {
		async handle(call) {
			const refused = crossSiteAnswer(call, policy.trustedOrigins)
			if (refused !== undefined) return refused
			const owner = await policy.owner(call.request)
			if (typeof owner !== 'string' || owner === '')
				return [401, { detail: 'Not authenticated', code: 'missing' }]
			try {
				const context = { actor: policy.actorOf(call.request, owner), source: call.source }
				return await withAuditContext(context, () => operations[call.operation](call, owner))
			} catch (error) {
				const answer = answerTo(error)
				if (answer === undefined) throw error
				return answer
			}
		},
	}
}
