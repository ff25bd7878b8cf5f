import type { KeyInfo } from '@keyward/core'

/** State of a key at an instant. */
export type KeyStatus = 'active' | 'revoked' | 'expired'

/** Whether `info` can authenticate at `nowMs`, and if not, why. */
export function keyStatus(info: KeyInfo, nowMs: number): KeyStatus {
	if (info.revokedAt !== null && info.revokedAt.getTime() <= nowMs) return 'revoked'
	if (info.expiresAt !== null && info.expiresAt.getTime() <= nowMs) return 'expired'
	return 'active'
}

// C0 and C1 controls, DEL, and the bidirectional overrides that could make a terminal line lie.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these characters are what is replaced
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/** `text` safe to print on a terminal: control and direction characters become `?`. */
export function printable(text: string): string {
	return text.replace(UNPRINTABLE, '?')
}

function cell(text: string, max: number): string {
	const safe = printable(text)
	return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe
}

/** A plain-text table: a header row and left-aligned columns two spaces apart. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], max = 40): string {
	const cells = [headers.map((h) => h), ...rows.map((row) => row.map((c) => cell(c, max)))]
	const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)))
	return cells
		.map((row) =>
			row
				.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
				.join('  ')
				.trimEnd(),
		)
		.join('\n')
}

/** `2026-11-23 09:45:12Z`, or `-` for `null`. */
export function timestamp(date: Date | null): string {
	if (date === null) return '-'
	return date
		.toISOString()
		.replace('T', ' ')
		.replace(/\.\d{3}Z$/, 'Z')
}

function rounded(ms: number): string {
	const steps = [
		[86_400_000, 'd'],
		[3_600_000, 'h'],
		[60_000, 'm'],
	] as const
	for (const [size, unit] of steps) if (ms >= size) return `${Math.round(ms / size)}${unit}`
	return `${Math.round(ms / 1000)}s`
}

/** `in 30d`, `3h ago`, or `fallback` for `null`. */
export function relative(date: Date | null, nowMs: number, fallback = '-'): string {
	if (date === null) return fallback
	const delta = date.getTime() - nowMs
	return delta >= 0 ? `in ${rounded(delta)}` : `${rounded(-delta)} ago`
}

/** `CI deploy`, the note when there is no name, or `-`. */
export function label(info: KeyInfo): string {
	return info.name ?? info.note ?? '-'
}

/** A key's hint as listings show it, `kw_live_3mQ7…` (the rest of the key is hidden), or `-` when it has none. */
export function hintText(info: KeyInfo): string {
	return info.hint === null ? '-' : `${info.hint}…`
}

/** Scopes as `a,b`, or `-` for none. */
export function scopeList(scopes: readonly string[] | 'inherit' | null): string {
	if (scopes === 'inherit') return 'INHERIT'
	if (scopes === null) return 'any'
	return scopes.length === 0 ? '-' : scopes.join(',')
}

/** A key's public info as JSON-ready data (dates as ISO strings). */
export function infoJson(info: KeyInfo): Record<string, unknown> {
	return JSON.parse(JSON.stringify(info)) as Record<string, unknown>
}
