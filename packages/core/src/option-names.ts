// Imports nothing: `@keyward/core/wire` re-exports it for the client, which loads only that entry.

function distance(a: string, b: string): number {
	const row = Array.from({ length: b.length + 1 }, (_, i) => i)
	for (let i = 1; i <= a.length; i++) {
		let prev = row[0] as number
		row[0] = i
		for (let j = 1; j <= b.length; j++) {
			const next = Math.min(
				(row[j] as number) + 1,
				(row[j - 1] as number) + 1,
				prev + (a[i - 1] === b[j - 1] ? 0 : 1),
			)
			prev = row[j] as number
			row[j] = next
		}
	}
	return row[b.length] as number
}

/**
 * The complaint about the first name of `options` not in `known`, with the closest known name as
 * a "did you mean" hint, or `undefined` when every name is known. Options objects from JavaScript
 * (or from `JSON.parse`) are not checked by the compiler: a misspelt option would otherwise be
 * ignored without a word. Each package throws its own error with this message.
 * @example unknownOptionMessage({ monthlyquota: 5 }, ['monthlyQuota'], 'createKey input')
 * // 'Unknown option "monthlyquota" in createKey input (did you mean "monthlyQuota"?)'
 */
export function unknownOptionMessage(
	options: object,
	known: readonly string[],
	where: string,
): string | undefined {
	for (const name of Object.keys(options)) {
		if (known.includes(name)) continue
		let best: string | undefined
		let bestDistance = 4
		const lower = name.toLowerCase()
		for (const candidate of known) {
			// Part of a name (`maxActive` for `maxActiveKeys`, `quota` for `monthlyQuota`) counts as close,
			// however much is missing.
			const part = lower.length >= 4 && candidate.toLowerCase().includes(lower)
			const d = part ? 1 : distance(lower, candidate.toLowerCase())
			if (d < bestDistance) {
				best = candidate
				bestDistance = d
			}
		}
		const shown = name.length > 40 ? `${name.slice(0, 40)}...` : name
		return `Unknown option "${shown}" in ${where}${best === undefined ? '' : ` (did you mean "${best}"?)`}`
	}
	return undefined
}
