/** PostgreSQL URL for tests: `KEYWARD_PG_URL`, else the local service. */
export const pgUrl: string = process.env.KEYWARD_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
/** Redis URL for tests: `KEYWARD_REDIS_URL`, else the local service. */
export const redisUrl: string = process.env.KEYWARD_REDIS_URL ?? 'redis://127.0.0.1:6379'
/** When set, a missing service fails the run instead of skipping loudly. */
export const requireServices: boolean = process.env.KEYWARD_REQUIRE_SERVICES === '1'
