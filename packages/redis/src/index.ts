export type { RedisCommandClient, RedisMessageListener, RedisSubscriber } from './client.js'
export { type ConnectRedisOptions, connectRedis, type RedisConnection } from './connect.js'
export { RedisInvalidationChannel, type RedisInvalidationChannelOptions } from './invalidation.js'
export { defaultCounterExpiry, RedisUsageCounter, type RedisUsageCounterOptions } from './usage-counter.js'
