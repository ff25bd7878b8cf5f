/**
 * What keyward needs of a Redis connection to run commands: send one command, resolve with its
 * reply. node-redis: `{ sendCommand: (args) => client.sendCommand(args) }` or the client itself;
 * ioredis: `{ sendCommand: ([name, ...rest]) => redis.call(name, ...rest) }`.
 */
export interface RedisCommandClient {
	sendCommand(args: string[]): Promise<unknown>
}

/** A message listener as node-redis calls it. */
export type RedisMessageListener = (message: string, channel: string) => void

/**
 * What the invalidation channel needs of a subscriber connection (a dedicated connection, as
 * Redis requires for pub/sub). A node-redis client fits; see the README for ioredis.
 */
export interface RedisSubscriber {
	subscribe(channel: string, listener: RedisMessageListener): Promise<unknown>
	unsubscribe(channel: string, listener?: RedisMessageListener): Promise<unknown>
}
