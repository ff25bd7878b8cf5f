/** Cache sizing and lifetimes. */
export interface CacheOptions {
	/** Most keys kept. @defaultValue 10000 */
	max?: number | undefined
	/**
	 * How long a verified record is trusted before it is read again: the worst-case staleness for
	 * changes made by another process when no invalidation channel is configured. @defaultValue 30000
	 */
	ttlMs?: number | undefined
	/** How long an unknown hash is remembered as unknown. @defaultValue 5000 */
	negativeTtlMs?: number | undefined
}
