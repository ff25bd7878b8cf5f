import type { Keyward, OwnerInfo, OwnerPatch } from '@keyward/core'
import type { Output } from './commands.js'
import { UsageError, UserError } from './errors.js'
import { printable, scopeList, table, timestamp } from './format.js'
import { endOfDay, historyChart } from './history-chart.js'

/** Options of `keyward owner set`, as parsed. */
export interface OwnerSetOptions {
	scope?: string[] | undefined
	anyScope?: boolean | undefined
	quota?: number | undefined
	unlimited?: boolean | undefined
	disable?: boolean | undefined
	enable?: boolean | undefined
	metadata?: Record<string, unknown> | undefined
}

function ownerJson(owner: OwnerInfo): Record<string, unknown> {
	return JSON.parse(JSON.stringify(owner)) as Record<string, unknown>
}

function quotaText(owner: OwnerInfo): string {
	return owner.monthlyQuota === null ? 'none' : String(owner.monthlyQuota)
}

/** The patch the options ask for; contradicting or empty options are a usage error. */
export function ownerPatch(options: OwnerSetOptions): OwnerPatch {
	const clash = (a: unknown, b: unknown, names: string) => {
		if (a !== undefined && b !== undefined) throw new UsageError(`give ${names}, not both`)
	}
	clash(options.scope, options.anyScope, '--scope or --any-scope')
	clash(options.quota, options.unlimited, '--quota or --unlimited')
	clash(options.disable, options.enable, '--disable or --enable')
	const patch: { -readonly [K in keyof OwnerPatch]: OwnerPatch[K] } = {}
	if (options.scope !== undefined) patch.scopes = options.scope
	if (options.anyScope === true) patch.scopes = null
	if (options.quota !== undefined) patch.monthlyQuota = options.quota
	if (options.unlimited === true) patch.monthlyQuota = null
	if (options.disable === true) patch.disabled = true
	if (options.enable === true) patch.disabled = false
	if (options.metadata !== undefined) patch.metadata = options.metadata
	if (Object.keys(patch).length === 0) {
		throw new UsageError(
			'nothing to change: give --scope, --any-scope, --quota, --unlimited, --disable, --enable or --metadata',
		)
	}
	return patch
}

/** `keyward owner set <id>`: create or change an account's record. */
export async function ownerSetCommand(
	keyward: Keyward,
	id: string,
	options: OwnerSetOptions,
	out: Output,
): Promise<void> {
	const owner = await keyward.setOwner(id, ownerPatch(options))
	if (out.asJson) return out.json(ownerJson(owner))
	const state = owner.disabled ? 'disabled' : 'enabled'
	out.line(
		`Owner ${printable(owner.id)}: scopes ${scopeList(owner.scopes)}, monthly quota ${quotaText(owner)}, ${state}.`,
	)
}

/** `keyward owner show <id>`: an account's record and this month's use of its quota. */
export async function ownerShowCommand(keyward: Keyward, id: string, out: Output): Promise<void> {
	const owner = await keyward.getOwner(id)
	if (owner === null)
		throw new UserError(
			`${printable(id)} has no owner record (its keys are bounded by nothing but themselves)`,
		)
	const usage = await keyward.ownerUsage(id)
	if (out.asJson) return out.json({ ...ownerJson(owner), usage })
	const used = usage.limit === null ? `${usage.used} requests` : `${usage.used}/${usage.limit} requests`
	const rows = [
		['Owner', printable(owner.id)],
		['Scopes', scopeList(owner.scopes)],
		['Monthly quota', quotaText(owner)],
		['Status', owner.disabled ? 'disabled' : 'enabled'],
		['This period', `${used} (${usage.period})`],
		['Created', timestamp(owner.createdAt)],
		['Changed', timestamp(owner.updatedAt)],
	]
	out.line(table(['', ''], rows).split('\n').slice(1).join('\n'))
}

/** `keyward owner list`: every account record, by id. */
export async function ownerListCommand(keyward: Keyward, out: Output): Promise<void> {
	const owners: OwnerInfo[] = []
	let after: string | undefined
	for (;;) {
		const page = await keyward.listOwners({ after, limit: 1000 })
		owners.push(...page)
		if (page.length < 1000) break
		after = page[page.length - 1]?.id
	}
	if (out.asJson) return out.json(owners.map(ownerJson))
	if (owners.length === 0) return out.line('No owner records.')
	const rows = owners.map((o) => [
		printable(o.id),
		scopeList(o.scopes),
		quotaText(o),
		o.disabled ? 'disabled' : 'enabled',
	])
	out.line(table(['OWNER', 'SCOPES', 'QUOTA', 'STATUS'], rows))
}

/** `keyward owner usage <id>`: the account's requests per day, all its keys together. */
export async function ownerUsageCommand(
	keyward: Keyward,
	id: string,
	days: number,
	out: Output,
): Promise<void> {
	const [owner, history] = await Promise.all([
		keyward.getOwner(id),
		keyward.usageHistory({ owner: id, days, to: endOfDay(out.nowMs) }),
	])
	// The shared counter runs only for an account with a quota of its own.
	const usage = owner?.monthlyQuota == null ? null : await keyward.ownerUsage(id)
	if (out.asJson) return out.json({ owner: id, usage, history })
	if (usage !== null) {
		out.line(
			`Owner ${printable(id)} used ${usage.used} of ${usage.limit} requests in ${usage.period}, all its keys together.`,
		)
		out.line('')
	}
	out.line(
		`Requests per day (UTC) of the keys of ${printable(id)}, last ${days === 1 ? 'day' : `${days} days`}:`,
	)
	out.line(historyChart(history))
}
