// Mean with a 95 % confidence interval (Student's t) of independent measurements.

/** Two-sided 97.5 % quantile of Student's t with `df` degrees of freedom (Cornish-Fisher, < 0.1 % off for df ≥ 5). */
function tQuantile(df) {
	const z = 1.959964
	return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)
}

/** `{ mean, half, n }`: the mean of `values` and the half width of its 95 % confidence interval. */
export function meanWithInterval(values) {
	const n = values.length
	const mean = values.reduce((sum, x) => sum + x, 0) / n
	if (n < 2) return { mean, half: Number.NaN, n }
	const variance = values.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (n - 1)
	return { mean, half: tQuantile(n - 1) * Math.sqrt(variance / n), n }
}
