// The JSON schemas of the key-management routes' bodies, for their OpenAPI document.

/** A reference to one of {@link SCHEMAS}. */
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: [type, 'null'], ...extra })
/** A JSON body of `schema`. */
export const json = (schema: unknown) => ({ 'application/json': { schema } })
/** A JSON response with `description` and `schema`. */
export const answer = (description: string, schema: unknown) => ({ description, content: json(schema) })
/** A refusal response: `{ detail, code }`. */
export const refusal = (description: string) => answer(description, ref('Refusal'))

/** The components of the key-management document: what the routes take and answer. */
export const SCHEMAS = {
	KeyInfo: {
		type: 'object',
		description: 'Public information about a key. Never the key itself, nor its hash.',
		required: ['id', 'owner', 'name', 'note', 'scopes', 'createdAt', 'expiresAt', 'revokedAt', 'lastUsedAt'],
		properties: {
			id: { type: 'string', description: 'Public id, used in the paths; not enough to authenticate.' },
			owner: { type: 'string' },
			name: nullable('string'),
			note: nullable('string'),
			scopes: { type: 'array', items: { type: 'string' } },
			createdAt: { type: 'string', format: 'date-time' },
			expiresAt: nullable('string', { format: 'date-time' }),
			revokedAt: nullable('string', { format: 'date-time' }),
			lastUsedAt: nullable('string', { format: 'date-time' }),
			monthlyQuota: nullable('integer', { minimum: 0 }),
			metadata: { type: 'object' },
			familyId: { type: 'string', description: 'Id of the first key of its rotation chain.' },
			replacedBy: nullable('string', { description: 'Id of the key that replaced it by rotation.' }),
			hint: nullable('string', {
				description:
					'The first characters of the key, to tell keys apart; null for keys stored before hints.',
			}),
		},
	},
	Account: {
		type: 'object',
		description: "The caller's account record: scopes and a monthly limit shared by all its keys.",
		required: ['id', 'scopes', 'monthlyQuota', 'disabled', 'usage'],
		properties: {
			id: { type: 'string' },
			scopes: nullable('array', { items: { type: 'string' } }),
			monthlyQuota: nullable('integer', { minimum: 0 }),
			disabled: { type: 'boolean' },
			metadata: { type: 'object' },
			createdAt: { type: 'string', format: 'date-time' },
			updatedAt: { type: 'string', format: 'date-time' },
			usage: {
				description: "This period's use of the shared limit; null without one.",
				oneOf: [
					{
						type: 'object',
						required: ['period', 'used', 'limit', 'remaining', 'resetAt'],
						properties: {
							period: { type: 'string', description: "The period's id, e.g. 2026-11." },
							used: { type: 'integer', minimum: 0 },
							limit: { type: 'integer', minimum: 0 },
							remaining: { type: 'integer', minimum: 0 },
							resetAt: { type: 'string', format: 'date-time' },
						},
					},
					{ type: 'null' },
				],
			},
		},
	},
	UsageCounts: {
		type: 'object',
		required: ['requests', 'ok', 'refused', 'outcomes'],
		properties: {
			requests: { type: 'integer', minimum: 0 },
			ok: { type: 'integer', minimum: 0 },
			refused: { type: 'integer', minimum: 0 },
			outcomes: {
				type: 'object',
				description: "Counts by outcome: 'ok' or a refusal code.",
				additionalProperties: { type: 'integer', minimum: 0 },
			},
		},
	},
	UsageHistory: {
		type: 'object',
		description: 'Verifications per UTC day, oldest first, empty days included.',
		required: ['key', 'owner', 'granularity', 'from', 'to', 'buckets', 'total'],
		properties: {
			key: nullable('string'),
			owner: nullable('string'),
			granularity: { type: 'string', enum: ['hour', 'day'] },
			from: { type: 'string', format: 'date-time' },
			to: { type: 'string', format: 'date-time' },
			buckets: {
				type: 'array',
				items: {
					allOf: [
						ref('UsageCounts'),
						{
							type: 'object',
							required: ['start'],
							properties: { start: { type: 'string', format: 'date-time' } },
						},
					],
				},
			},
			total: ref('UsageCounts'),
		},
	},
	CreatedKey: {
		type: 'object',
		required: ['key', 'info'],
		properties: {
			key: { type: 'string', description: 'The key. Shown in this response only: it is not stored.' },
			info: ref('KeyInfo'),
		},
	},
	RotatedKey: {
		type: 'object',
		required: ['key', 'info', 'previous'],
		properties: {
			key: { type: 'string', description: 'The new key. Shown in this response only.' },
			info: ref('KeyInfo'),
			previous: ref('KeyInfo'),
		},
	},
	CreateKeyRequest: {
		type: 'object',
		additionalProperties: false,
		properties: {
			name: nullable('string', { maxLength: 256 }),
			note: nullable('string', { maxLength: 2048 }),
			scopes: { type: 'array', items: { type: 'string' }, description: 'At most the scopes you may grant.' },
			expiresIn: {
				description: 'Lifetime: milliseconds, a duration such as "30d", or null for none (if allowed).',
				oneOf: [
					{ type: 'integer', minimum: 1 },
					{ type: 'string', pattern: '^\\d{1,13}(ms|s|m|h|d|w)$' },
					{ type: 'null' },
				],
			},
			monthlyQuota: nullable('integer', { minimum: 0 }),
			metadata: { type: 'object', description: 'Only the fields the server allows.' },
		},
	},
	RotateKeyRequest: {
		type: 'object',
		additionalProperties: false,
		properties: {
			graceMs: { type: 'integer', minimum: 0, description: 'How long the old key keeps working.' },
		},
	},
	Refusal: {
		type: 'object',
		required: ['detail', 'code'],
		properties: { detail: { type: 'string' }, code: { type: 'string' } },
	},
} as const
