import { KeywardError } from './errors.js'
import { KEY_MANAGEMENT_ROUTES, type KeyManagementOperation } from './key-management.js'
import { answer, json, ref, refusal, SCHEMAS } from './key-management-schemas.js'
import { rejectUnknownOptions } from './options.js'

/** Options of {@link describeKeyManagementApi}. */
export interface KeyManagementApiOptions {
	/** Where the routes are mounted, e.g. `'/account'`; the document's server URL. @defaultValue '/' */
	mount?: string | undefined
	/** `info.title` of the document. @defaultValue 'API key management' */
	title?: string | undefined
	/** `info.version` of the document: the version of your API, not keyward's. @defaultValue '1' */
	version?: string | undefined
}

/** An OpenAPI 3.1 document, as plain JSON-serialisable data. */
export type OpenApiDocument = { readonly openapi: '3.1.0' } & Readonly<Record<string, unknown>>

const DAYS_PARAMETER = {
	name: 'days',
	in: 'query',
	required: false,
	schema: { type: 'integer', minimum: 1, maximum: 90, default: 30 },
	description: 'How many UTC days back, today included.',
}

const historyBody = () => ({
	type: 'object',
	required: ['history'],
	properties: { history: ref('UsageHistory') },
})

const ID_PARAMETER = {
	name: 'id',
	in: 'path',
	required: true,
	schema: { type: 'string', pattern: '^[0-9A-Za-z]{1,64}$' },
	description: 'The key id.',
}

/** What each operation takes and answers, besides the refusals every route shares. */
const OPERATIONS: Record<KeyManagementOperation, Record<string, unknown>> = {
	list: {
		summary: "List the caller's keys",
		responses: {
			200: answer("The keys, newest first, and the caller's account record (null without one)", {
				type: 'object',
				required: ['keys', 'account'],
				properties: {
					keys: { type: 'array', items: ref('KeyInfo') },
					account: { oneOf: [ref('Account'), { type: 'null' }] },
				},
			}),
		},
	},
	create: {
		summary: 'Create a key',
		requestBody: { required: false, content: json(ref('CreateKeyRequest')) },
		responses: { 201: answer('The new key, shown this once', ref('CreatedKey')) },
	},
	revokeAll: {
		summary: "Revoke every active key of the caller's",
		responses: {
			200: answer('How many keys were revoked', {
				type: 'object',
				required: ['revoked'],
				properties: { revoked: { type: 'integer', minimum: 0 } },
			}),
		},
	},
	get: { summary: 'Get one key', responses: { 200: answer('The key', infoBody()) } },
	revoke: {
		summary: 'Revoke a key (it stays listed)',
		responses: { 200: answer('The revoked key', infoBody()) },
	},
	delete: { summary: 'Delete a key', responses: { 200: answer('The deleted key', infoBody()) } },
	rotate: {
		summary: 'Replace a key with a new one',
		requestBody: { required: false, content: json(ref('RotateKeyRequest')) },
		responses: {
			201: answer('The new key, shown this once, and the old one', ref('RotatedKey')),
			409: refusal('The key was already rotated, or is revoked or expired (key_not_active)'),
		},
	},
	history: {
		summary: "A key's requests per day",
		parameters: [DAYS_PARAMETER],
		responses: {
			200: answer('Its usage history', historyBody()),
			400: refusal('days is not a whole number from 1 to 90 (invalid_argument)'),
			501: refusal('The key store keeps no usage history (not_supported)'),
		},
	},
	accountHistory: {
		summary: "Requests per day of all the caller's keys together",
		parameters: [DAYS_PARAMETER],
		responses: {
			200: answer('The usage history of the account', historyBody()),
			400: refusal('days is not a whole number from 1 to 90 (invalid_argument)'),
			501: refusal('The key store keeps no usage history (not_supported)'),
		},
	},
}

function infoBody() {
	return { type: 'object', required: ['info'], properties: { info: ref('KeyInfo') } }
}

const OPERATION_IDS: Record<KeyManagementOperation, string> = {
	list: 'listKeys',
	create: 'createKey',
	revokeAll: 'revokeAllKeys',
	get: 'getKey',
	revoke: 'revokeKey',
	delete: 'deleteKey',
	rotate: 'rotateKey',
	history: 'getKeyHistory',
	accountHistory: 'getAccountHistory',
}

const CHANGES_KEYS = new Set<KeyManagementOperation>(['create', 'revokeAll', 'revoke', 'delete', 'rotate'])

function operation(op: KeyManagementOperation, hasId: boolean): Record<string, unknown> {
	const {
		responses,
		parameters = [],
		...rest
	} = OPERATIONS[op] as {
		responses: Record<string, unknown>
		parameters?: unknown[]
	}
	const all = hasId ? [ID_PARAMETER, ...parameters] : parameters
	return {
		operationId: OPERATION_IDS[op],
		...rest,
		...(all.length > 0 ? { parameters: all } : {}),
		responses: {
			...responses,
			...(op === 'create' || op === 'rotate'
				? {
						400: refusal('The body is not a JSON object, or holds an invalid field (invalid_argument)'),
						413: refusal('The body is larger than 16 KiB'),
					}
				: {}),
			...(CHANGES_KEYS.has(op) && op !== 'delete'
				? { 415: refusal('A POST must be sent as application/json (unsupported_media_type)') }
				: {}),
			401: refusal('The caller is not signed in (missing)'),
			...(CHANGES_KEYS.has(op)
				? {
						403: refusal(
							'Refused by the policy (scope_not_allowed, lifetime_not_allowed, quota_not_allowed, too_many_keys, metadata_not_allowed) or sent by a page of another origin (cross_origin)',
						),
					}
				: {}),
			...(hasId ? { 404: refusal('No key of the caller has this id (key_not_found)') } : {}),
			503: refusal('The key store is unavailable (unavailable)'),
		},
	}
}

/**
 * An OpenAPI 3.1 document of the key-management routes (`KEY_MANAGEMENT_ROUTES`), as
 * `keyManagementRouter` of `@keyward/express` and `@keyward/koa` serve them at
 * `<mount>/openapi.json`. Framework-neutral JSON data; the caller's own authentication (the
 * router's `owner()`) is the host's, so the document names no security scheme: add yours.
 * @example
 * const document = describeKeyManagementApi({ mount: '/account', title: 'Example API keys' })
 * writeFileSync('key-management.json', JSON.stringify(document, null, 2))
 */
export function describeKeyManagementApi(options: Readonly<KeyManagementApiOptions> = {}): OpenApiDocument {
	rejectUnknownOptions(options, ['mount', 'title', 'version'], 'describeKeyManagementApi options')
	const { mount = '/', title = 'API key management', version = '1' } = options
	if (typeof mount !== 'string' || !/^\/[^?#\s]*$/.test(mount)) {
		throw new KeywardError('invalid_option', 'mount must be a path such as "/account"')
	}
	for (const [name, value] of [
		['title', title],
		['version', version],
	] as const) {
		if (typeof value !== 'string' || value === '')
			throw new KeywardError('invalid_option', `${name} must be text`)
	}
	const paths: Record<string, Record<string, unknown>> = {}
	for (const { method, path, operation: op } of KEY_MANAGEMENT_ROUTES) {
		const openApiPath = path.replace(/:(\w+)/g, '{$1}')
		paths[openApiPath] ??= {}
		;(paths[openApiPath] as Record<string, unknown>)[method.toLowerCase()] = operation(
			op,
			path.includes(':id'),
		)
	}
	return {
		openapi: '3.1.0',
		info: {
			title,
			version,
			description:
				'Self-service API keys: each caller sees and changes only its own keys. A new key is in the response that creates it, and nowhere else.',
		},
		servers: [{ url: mount }],
		paths,
		components: { schemas: SCHEMAS },
	}
}

/**
 * The `openApi` option of `keyManagementRouter`, checked when the router is made: `false` (serve
 * no document), or the `title` and `version` of the document to serve (`{}` for `true` or absent).
 */
export function resolveOpenApiOption(
	value: unknown,
): false | Pick<KeyManagementApiOptions, 'title' | 'version'> {
	if (value === false) return false
	if (value === undefined || value === true) return {}
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new KeywardError('invalid_option', 'openApi must be true, false or { title, version }')
	}
	rejectUnknownOptions(value, ['title', 'version'], 'openApi options')
	const chosen = value as Pick<KeyManagementApiOptions, 'title' | 'version'>
	describeKeyManagementApi(chosen) // checks the values now, not at the first request
	return chosen
}
