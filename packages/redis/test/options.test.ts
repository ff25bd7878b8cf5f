import { connectRedis, RedisInvalidationChannel, RedisUsageCounter } from '@keyward/redis'
import { describe, expect, it } from 'vitest'

/** Clients that fail the test when used: option errors come before any command. */
const client = {
	sendCommand: async () => {
		throw new Error('no command may be sent')
	},
}
const subscriber = {
	subscribe: async () => {
		throw new Error('no subscription may be made')
	},
	unsubscribe: async () => {},
}

describe('options of @keyward/redis', () => {
	it('connectRedis refuses a misspelt option before connecting', async () => {
		// Port 1: were it to connect, the test would fail with a connection error instead.
		await expect(connectRedis({ url: 'redis://127.0.0.1:1', prefx: 'a:' } as never)).rejects.toThrow(
			/^Unknown option "prefx" in connectRedis options \(did you mean "prefix"\?\)$/,
		)
		await expect(
			connectRedis({ url: 'redis://127.0.0.1:1', batch: { maxReservaton: 5 } } as never),
		).rejects.toThrow(/Unknown option "maxReservaton" in batch options \(did you mean "maxReservation"\?\)/)
	})

	it('connectRedis says when the url is unset', async () => {
		const unset: string | undefined = undefined
		await expect(connectRedis({ url: unset as never })).rejects.toThrow(/is the environment variable set\?/)
		await expect(connectRedis(undefined as never)).rejects.toThrow(/expects an options object/)
	})

	it('the counter and the channel refuse misspelt options', () => {
		expect(() => new RedisUsageCounter({ client, expiresAt: () => new Date() } as never)).toThrow(
			/Unknown option "expiresAt" in RedisUsageCounter options \(did you mean "expireAt"\?\)/,
		)
		expect(() => new RedisUsageCounter({ client, batch: { releaseAfter: 10 } } as never)).toThrow(
			/did you mean "releaseAfterMs"/,
		)
		expect(
			() => new RedisInvalidationChannel({ publisher: client, subscriber, chanel: 'x' } as never),
		).toThrow(/Unknown option "chanel" in RedisInvalidationChannel options \(did you mean "channel"\?\)/)
	})
})
