import { isKeywardError, type KeyInfo, type Keyward } from '@keyward/core'
import type { KeyUsage } from '@keyward/core/management'
import type { AuditLog } from './database.js'
import { formatDuration } from './duration.js'
import { UserError } from './errors.js'
import {
	hintText,
	infoJson,
	keyStatus,
	label,
	printable,
	relative,
	scopeList,
	table,
	timestamp,
} from './format.js'
import { endOfDay, historyChart } from './history-chart.js'

/** Where a command writes, and the clock it shows times against. */
export interface Output {
	/** Print one line (or several joined by newlines) to stdout. */
	line(text: string): void
	/** Print `value` as pretty JSON to stdout. */
	json(value: unknown): void
	readonly nowMs: number
	readonly asJson: boolean
}

/** Options of `keyward create`, as parsed. */
export interface CreateOptions {
	owner: string
	name?: string | undefined
	note?: string | undefined
	scope?: string[] | undefined
	expiresIn?: number | undefined
	quota?: number | undefined
	metadata?: Record<string, unknown> | undefined
}

const SHOWN_ONCE = 'Copy the key now: it is not stored anywhere and cannot be shown again.'

/** Run a call that resolves `idOrKey`, turning lookup failures into one-line messages. */
async function lookup<T>(idOrKey: string, run: () => Promise<T>): Promise<T> {
	try {
		return await run()
	} catch (error) {
		// Only an id-like argument is repeated back: anything else may be a key.
		const idLike = /^[0-9A-Za-z]{1,64}$/.test(idOrKey)
		if (isKeywardError(error, 'key_not_found')) {
			if (!idLike) throw new UserError('no such key')
			const short = idOrKey.length < 4 ? ' (an id prefix needs at least 4 characters)' : ''
			throw new UserError(`no key has the id, id prefix or hint "${idOrKey}"${short}`)
		}
		if (isKeywardError(error, 'ambiguous_id')) {
			// Ambiguous: refused, and none of the keys it matches is named.
			throw new UserError(
				idLike
					? `more than one key matches "${idOrKey}" (as an id prefix or a hint): give the whole id`
					: 'more than one key has this hint: give the id',
			)
		}
		throw error
	}
}

function usageText(usage: KeyUsage): string {
	return usage.limit === null ? String(usage.used) : `${usage.used}/${usage.limit}`
}

function expiryText(info: KeyInfo, nowMs: number): string {
	return info.expiresAt === null
		? 'never expires'
		: `expires ${timestamp(info.expiresAt)} (${relative(info.expiresAt, nowMs)})`
}

function printKey(out: Output, key: string): void {
	out.line(SHOWN_ONCE)
	out.line('')
	out.line(key)
	out.line('')
}

/** `keyward create`: make a key and print it, once. */
export async function createCommand(keyward: Keyward, options: CreateOptions, out: Output): Promise<void> {
	const { key, info } = await keyward.createKey({
		owner: options.owner,
		name: options.name,
		note: options.note,
		// `--scope inherit` alone: the key has its owner's scopes, decided at each verification.
		scopes: options.scope?.length === 1 && options.scope[0] === 'inherit' ? 'inherit' : (options.scope ?? []),
		expiresIn: options.expiresIn,
		monthlyQuota: options.quota,
		metadata: options.metadata,
	})
	if (out.asJson) return out.json({ key, info: infoJson(info) })
	out.line(`Created key ${info.id} for ${printable(info.owner)}; it ${expiryText(info, out.nowMs)}.`)
	printKey(out, key)
}

/** `keyward list`: a table of keys (active ones unless `all`). */
export async function listCommand(
	keyward: Keyward,
	options: { owner?: string | undefined; all?: boolean | undefined },
	out: Output,
): Promise<void> {
	const keys = await keyward.listKeys(options.owner === undefined ? {} : { owner: options.owner })
	const shown = options.all === true ? keys : keys.filter((k) => keyStatus(k, out.nowMs) === 'active')
	const usages = await Promise.all(shown.map((k) => keyward.usage(k.id)))
	if (out.asJson) {
		return out.json(
			shown.map((k, i) => ({ ...infoJson(k), status: keyStatus(k, out.nowMs), usage: usages[i] })),
		)
	}
	const hidden = keys.length - shown.length
	if (shown.length === 0) out.line(options.owner === undefined ? 'No keys.' : 'No keys for this owner.')
	else {
		const rows = shown.map((k, i) => [
			k.id,
			hintText(k),
			k.owner,
			label(k),
			scopeList(k.scopes),
			relative(k.expiresAt, out.nowMs, 'never'),
			relative(k.lastUsedAt, out.nowMs, 'never'),
			usageText(usages[i] as KeyUsage),
			keyStatus(k, out.nowMs),
		])
		const headers = ['ID', 'HINT', 'OWNER', 'NAME', 'SCOPES', 'EXPIRES', 'LAST USED', 'USED/QUOTA', 'STATUS']
		out.line(table(headers, rows))
	}
	if (hidden > 0)
		out.line(`(${hidden} revoked or expired ${hidden === 1 ? 'key' : 'keys'} not shown; --all shows them)`)
}

/** `keyward show`: everything about one key. */
export async function showCommand(keyward: Keyward, idOrKey: string, out: Output): Promise<void> {
	const info = await lookup(idOrKey, () => keyward.getKey(idOrKey))
	const usage = await keyward.usage(info.id)
	const status = keyStatus(info, out.nowMs)
	if (out.asJson) return out.json({ ...infoJson(info), status, usage })
	const at = (date: Date | null) =>
		date === null ? '-' : `${timestamp(date)} (${relative(date, out.nowMs)})`
	const quota = usage.limit === null ? 'no quota' : `quota ${usage.limit}, ${usage.remaining} left`
	const rows = [
		['ID', info.id],
		['Hint', hintText(info)],
		['Owner', info.owner],
		['Name', info.name ?? '-'],
		['Note', info.note ?? '-'],
		['Scopes', scopeList(info.scopes)],
		['Status', status],
		['Created', at(info.createdAt)],
		['Expires', info.expiresAt === null ? 'never' : at(info.expiresAt)],
		['Revoked', at(info.revokedAt)],
		['Last used', info.lastUsedAt === null ? 'never' : at(info.lastUsedAt)],
		['Usage', `${usage.used} in ${usage.period} (${quota}; resets ${timestamp(usage.resetAt)})`],
		['Metadata', JSON.stringify(info.metadata)],
	]
	out.line(
		rows.map(([name, value]) => `${(name as string).padEnd(10)}  ${printable(value as string)}`).join('\n'),
	)
}

/** `keyward revoke`: stop a key from authenticating; it stays listed. */
export async function revokeCommand(keyward: Keyward, idOrKey: string, out: Output): Promise<void> {
	const before = await lookup(idOrKey, () => keyward.getKey(idOrKey))
	const info = before.revokedAt === null ? await keyward.revokeKey(before.id) : before
	const changed = before.revokedAt === null
	if (out.asJson) return out.json({ changed, info: infoJson(info) })
	out.line(
		changed
			? `Revoked key ${info.id} of ${printable(info.owner)}.`
			: `Key ${info.id} of ${printable(info.owner)} was already revoked on ${timestamp(info.revokedAt)}.`,
	)
}

/** `keyward revoke-all`: revoke every active key of an owner. */
export async function revokeAllCommand(keyward: Keyward, owner: string, out: Output): Promise<void> {
	const revoked = await keyward.revokeAll(owner)
	if (out.asJson) return out.json({ owner, revoked })
	out.line(`Revoked ${revoked} ${revoked === 1 ? 'key' : 'keys'} of ${printable(owner)}.`)
}

/** `keyward delete`: remove a key for good. */
export async function deleteCommand(keyward: Keyward, idOrKey: string, out: Output): Promise<void> {
	const found = await lookup(idOrKey, () => keyward.getKey(idOrKey))
	const info = await keyward.deleteKey(found.id)
	if (out.asJson) return out.json({ info: infoJson(info) })
	out.line(`Deleted key ${info.id} of ${printable(info.owner)}.`)
}

/** `keyward rotate`: a new key with the same settings; the old one works for `graceMs` more. */
export async function rotateCommand(
	keyward: Keyward,
	idOrKey: string,
	graceMs: number,
	out: Output,
): Promise<void> {
	const found = await lookup(idOrKey, () => keyward.getKey(idOrKey))
	const { key, info, previous } = await keyward.rotateKey(found.id, { graceMs })
	if (out.asJson) return out.json({ key, info: infoJson(info), previous: infoJson(previous) })
	const old =
		graceMs === 0
			? `key ${previous.id} is revoked`
			: `key ${previous.id} keeps working until ${timestamp(previous.expiresAt)} (${formatDuration(graceMs)} grace)`
	out.line(`Rotated: new key ${info.id} for ${printable(info.owner)}; the old ${old}.`)
	printKey(out, key)
}

/** `keyward usage`: this period's count against the quota, and with `days`, a chart of the last days. */
export async function usageCommand(
	keyward: Keyward,
	idOrKey: string,
	out: Output,
	days?: number | undefined,
): Promise<void> {
	const info = await lookup(idOrKey, () => keyward.getKey(idOrKey))
	const usage = await keyward.usage(info.id)
	const history =
		days === undefined
			? undefined
			: await keyward.usageHistory({ key: info.id, days, to: endOfDay(out.nowMs) })
	if (out.asJson) return out.json({ id: info.id, ...usage, ...(history === undefined ? {} : { history }) })
	const of =
		usage.limit === null
			? `${usage.used} ${usage.used === 1 ? 'request' : 'requests'} (no quota)`
			: `${usage.used} of ${usage.limit} requests (${usage.remaining} left)`
	out.line(`Key ${info.id} used ${of} in ${usage.period}; the count resets ${timestamp(usage.resetAt)}.`)
	if (history === undefined) return
	out.line('')
	out.line(`Requests per day (UTC) of key ${info.id}, last ${days === 1 ? 'day' : `${days} days`}:`)
	out.line(historyChart(history))
}

/** How the audit listing names the actions whose name alone would not say what happened. */
const ACTION_LABELS: Readonly<Record<string, string>> = {
	'session.created': 'API key login',
	'session.ended': 'logout',
	'owner.changed': 'owner changed',
}

/** An audit action as the listing shows it: `created`, `rotated`, `API key login`... */
function actionLabel(action: string): string {
	return ACTION_LABELS[action] ?? action.replace(/^key\./, '').replace('.', ' ')
}

/** `keyward audit`: the newest audit entries. */
export async function auditCommand(
	audit: AuditLog,
	options: { owner?: string | undefined; key?: string | undefined; limit: number },
	out: Output,
): Promise<void> {
	const entries = await audit.list({ owner: options.owner, keyId: options.key, limit: options.limit })
	if (out.asJson) return out.json(entries)
	if (entries.length === 0) return out.line('No audit entries.')
	const rows = entries.map((e) => [
		timestamp(e.at),
		actionLabel(e.action),
		e.keyId === null ? '-' : e.previousKeyId === null ? e.keyId : `${e.keyId} (from ${e.previousKeyId})`,
		e.owner,
		e.actor ?? '-',
		e.source ?? '-',
	])
	out.line(table(['WHEN', 'ACTION', 'KEY', 'OWNER', 'ACTOR', 'SOURCE'], rows))
}
