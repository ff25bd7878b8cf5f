/** Quota state announced by the API's RateLimit headers. */
export interface QuotaInfo {
	/** Requests allowed in the current window. */
	limit: number
	/** Requests left in the current window. */
	remaining: number
	/** When the window resets. */
	resetAt: Date
	/** Name of the policy (`monthly` for keyward quotas) when the headers name one. */
	policy?: string | undefined
}

/** Anything with a case-insensitive `get`, such as fetch's `Headers`. */
export interface HeaderReader {
	get(name: string): string | null
}

interface Member {
	/** The bare item (a token, or a string without its quotes); `''` for dictionary members. */
	item: string
	/** Dictionary members (`limit=10`): the key, and the value in `params.get('')`. */
	key: string
	params: Map<string, string>
}

/** Split on `separator` outside double quotes (structured-field strings may contain it). */
function splitOutsideQuotes(text: string, separator: string): string[] {
	const parts: string[] = []
	let current = ''
	let quoted = false
	for (let i = 0; i < text.length; i++) {
		const ch = text[i] as string
		if (quoted && ch === '\\') {
			current += ch + (text[i + 1] ?? '')
			i++
		} else if (ch === '"') {
			quoted = !quoted
			current += ch
		} else if (ch === separator && !quoted) {
			parts.push(current)
			current = ''
		} else current += ch
	}
	parts.push(current)
	return parts
}

function unquote(text: string): string {
	const t = text.trim()
	if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/\\(.)/g, '$1')
	return t
}

/** Tolerant reading of a structured-field list or dictionary (RFC 9651): never throws. */
function parseMembers(value: string): Member[] {
	return splitOutsideQuotes(value, ',').map((raw) => {
		const [head = '', ...rest] = splitOutsideQuotes(raw, ';')
		const params = new Map<string, string>()
		for (const param of rest) {
			const eq = param.indexOf('=')
			if (eq === -1) params.set(param.trim(), '?1')
			else params.set(param.slice(0, eq).trim(), unquote(param.slice(eq + 1)))
		}
		const eq = head.startsWith('"') ? -1 : head.indexOf('=')
		if (eq === -1) return { item: unquote(head), key: '', params }
		params.set('', unquote(head.slice(eq + 1)))
		return { item: '', key: head.slice(0, eq).trim(), params }
	})
}

function count(text: string | undefined): number | undefined {
	if (text === undefined || !/^\d{1,15}$/.test(text.trim())) return undefined
	return Number(text.trim())
}

function quota(
	limit: number | undefined,
	remaining: number | undefined,
	resetSeconds: number | undefined,
	nowMs: number,
	policy?: string,
): QuotaInfo | undefined {
	if (limit === undefined || remaining === undefined || resetSeconds === undefined) return undefined
	const info: QuotaInfo = { limit, remaining, resetAt: new Date(nowMs + resetSeconds * 1000) }
	if (policy !== undefined && policy !== '') info.policy = policy
	return info
}

/** Current draft: `RateLimit-Policy: "monthly";q=1000;w=2592000` and `RateLimit: "monthly";r=999;t=3600`. */
function fromPolicies(rateLimit: Member[], policy: string | null, nowMs: number): QuotaInfo | undefined {
	const policies = parseMembers(policy ?? '')
	let best: QuotaInfo | undefined
	for (const member of rateLimit) {
		const remaining = count(member.params.get('r'))
		if (remaining === undefined || member.item === '') continue
		const limit = count(policies.find((p) => p.item === member.item)?.params.get('q'))
		const found = quota(limit, remaining, count(member.params.get('t')), nowMs, member.item)
		// Several policies: the one with the fewest requests left is the one that binds.
		if (found !== undefined && (best === undefined || found.remaining < best.remaining)) best = found
	}
	return best
}

/** Draft 7: `RateLimit: limit=100, remaining=50, reset=30`. */
function fromDictionary(rateLimit: Member[], nowMs: number): QuotaInfo | undefined {
	const field = (key: string) => count(rateLimit.find((m) => m.key === key)?.params.get(''))
	return quota(field('limit'), field('remaining'), field('reset'), nowMs)
}

/** Drafts up to 6: `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds). */
function fromTrio(headers: HeaderReader, nowMs: number): QuotaInfo | undefined {
	const first = (name: string) => parseMembers(headers.get(name) ?? '')[0]?.item
	return quota(
		count(first('RateLimit-Limit')),
		count(first('RateLimit-Remaining')),
		count(first('RateLimit-Reset')),
		nowMs,
	)
}

/**
 * Reads the quota from IETF RateLimit headers: the current draft (`RateLimit` with
 * `RateLimit-Policy`, as keyward sends), the draft-7 dictionary, or the older
 * `RateLimit-Limit`/`-Remaining`/`-Reset` trio. `undefined` when the response carries none.
 * Never throws on malformed headers.
 * @example parseRateLimit(response.headers)?.remaining
 */
export function parseRateLimit(headers: HeaderReader, nowMs: number = Date.now()): QuotaInfo | undefined {
	const rateLimit = parseMembers(headers.get('RateLimit') ?? '')
	return (
		fromPolicies(rateLimit, headers.get('RateLimit-Policy'), nowMs) ??
		fromDictionary(rateLimit, nowMs) ??
		fromTrio(headers, nowMs)
	)
}
