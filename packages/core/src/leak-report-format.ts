import { createHash, type KeyObject, verify } from 'node:crypto'

/** One reported token and where it was found, as a leak report lists it. */
export interface LeakReportEntry {
	/** The text found: a keyward key, or something that looks like one. */
	readonly token: string
	/** The token type the code host matched (the name registered with it); `''` when not given. */
	readonly type: string
	/** Where the token was found (a commit or file URL); `''` when not given. */
	readonly url: string
	/** What the code host scanned (`content`, `commit`, `issue_comment`, `npm`...); `''` when not given. */
	readonly source: string
}

/** How a leak report's answer labels a token, in GitHub's feedback format. */
export type LeakLabel = 'true_positive' | 'false_positive'

/** How the answer names each token: its SHA-256 (hex), or the token itself as reported. */
export type LeakTokenField = 'token_hash' | 'token_raw'

/** One element of a leak report's answer. Exactly one of `token_hash` and `token_raw` is present. */
export interface LeakVerdict {
	readonly token_hash?: string | undefined
	readonly token_raw?: string | undefined
	readonly token_type: string
	readonly label: LeakLabel
}

/** The signature headers of a signed report (GitHub's secret scanning partner program). */
export interface ReportSignature {
	readonly keyId: string
	/** DER-encoded ECDSA P-256 signature over the raw body, SHA-256. */
	readonly signature: Buffer
}

/** Most tokens one report may list. */
export const MAX_REPORTED_TOKENS = 10_000

const KEY_ID = /^[\x21-\x7e]{1,256}$/
// A DER ECDSA P-256 signature is at most 72 bytes: 96 base64 characters.
const BASE64 = /^[A-Za-z0-9+/]{16,200}={0,2}$/

/**
 * The key id and signature of a signed report (`Github-Public-Key-Identifier`,
 * `Github-Public-Key-Signature`), or `null` when either is missing, repeated or malformed.
 */
export function reportSignature(
	headers: Readonly<Record<string, string | string[] | undefined>>,
): ReportSignature | null {
	const keyId = headers['github-public-key-identifier']
	const signature = headers['github-public-key-signature']
	if (typeof keyId !== 'string' || typeof signature !== 'string') return null
	if (!KEY_ID.test(keyId) || !BASE64.test(signature)) return null
	const bytes = Buffer.from(signature, 'base64')
	// Node decodes leniently (a stray trailing character is dropped): accept only canonical base64,
	// so that one signature has one spelling.
	if (bytes.toString('base64') !== signature) return null
	return { keyId, signature: bytes }
}

/** Whether `signature` is `key`'s ECDSA P-256 SHA-256 signature (DER) of exactly these bytes. */
export function isSignedBy(body: Uint8Array, signature: Buffer, key: KeyObject): boolean {
	try {
		return verify('sha256', body, { key, dsaEncoding: 'der' }, signature)
	} catch {
		// A signature that is not DER at all: not a signature of this body.
		return false
	}
}

/** A string field of a report: absent or `null` is `''`; anything but a string makes the report invalid. */
function text(value: unknown): string | undefined {
	if (value === undefined || value === null) return ''
	return typeof value === 'string' ? value : undefined
}

function entryOf(value: unknown): LeakReportEntry | undefined {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
	const fields = value as Record<string, unknown>
	const { token } = fields
	const type = text(fields.type)
	// GitLab's Token Revocation API says `location` where GitHub says `url`.
	const url = text(fields.url ?? fields.location)
	const source = text(fields.source)
	if (
		typeof token !== 'string' ||
		token === '' ||
		type === undefined ||
		url === undefined ||
		source === undefined
	)
		return undefined
	return { token, type, url, source }
}

/** `{ "keys": [...], "url"?, "source"? }`, the plain form for hosts that report keys by hand. */
function plainEntries(value: Record<string, unknown>): LeakReportEntry[] | null {
	const { keys } = value
	const url = text(value.url)
	const source = text(value.source)
	if (!Array.isArray(keys) || url === undefined || source === undefined) return null
	if (!keys.every((key) => typeof key === 'string' && key !== '')) return null
	return keys.map((token: string) => ({ token, type: '', url, source }))
}

/**
 * The entries of a leak report, or `null` when `body` is not one. Two forms are read: GitHub's
 * (a JSON array of `{ token, type, url, source }`; GitLab's `location` stands for `url`) and a
 * plain `{ "keys": ["kw_..."], "url"?, "source"? }`. At most {@link MAX_REPORTED_TOKENS} tokens;
 * unknown fields are ignored. Never throws.
 * @example parseLeakReport('[{"token":"kw_...","type":"keyward_api_key","url":"https://...","source":"content"}]')
 */
export function parseLeakReport(body: string): LeakReportEntry[] | null {
	let value: unknown
	try {
		value = JSON.parse(body)
	} catch {
		return null
	}
	let entries: LeakReportEntry[] | null
	if (Array.isArray(value)) {
		const read = value.map(entryOf)
		entries = read.every((entry) => entry !== undefined) ? (read as LeakReportEntry[]) : null
	} else if (typeof value === 'object' && value !== null) {
		entries = plainEntries(value as Record<string, unknown>)
	} else entries = null
	return entries !== null && entries.length <= MAX_REPORTED_TOKENS ? entries : null
}

/** The answer element for `entry`, naming the token as `field` says. */
export function verdict(entry: LeakReportEntry, label: LeakLabel, field: LeakTokenField): LeakVerdict {
	return field === 'token_raw'
		? { token_raw: entry.token, token_type: entry.type, label }
		: { token_hash: createHash('sha256').update(entry.token).digest('hex'), token_type: entry.type, label }
}
