import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Signature headers of a report, as GitHub sends them. */
export type ReportSignatureHeaders = {
	'github-public-key-identifier': string
	'github-public-key-signature': string
}

/**
 * A local stand-in for GitHub's secret scanning key endpoint: publishes test P-256 keys as
 * `{ public_keys: [{ key_identifier, key, is_current }] }` and signs bodies with them.
 */
export interface ReportKeyServer {
	/** URL of the key document. */
	readonly url: string
	/** How many times the document was requested. */
	fetches(): number
	/** Headers signing `body` with the published key `keyId` (the first key by default). */
	sign(body: string | Buffer, keyId?: string): ReportSignatureHeaders
	/** Headers signing `body` with a key that is not published, under the id `keyId`. */
	forge(body: string | Buffer, keyId?: string): ReportSignatureHeaders
	/** Publish a new key under `keyId`. */
	publish(keyId: string): void
	/** Answer the next requests with `answer` instead of the document (`undefined` restores it). */
	answerWith(answer: ((res: ServerResponse) => void) | undefined): void
	close(): Promise<void>
}

const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' })

function signatureHeaders(body: string | Buffer, keyId: string, key: KeyObject): ReportSignatureHeaders {
	return {
		'github-public-key-identifier': keyId,
		'github-public-key-signature': sign('sha256', Buffer.from(body), { key, dsaEncoding: 'der' }).toString(
			'base64',
		),
	}
}

/** Start a {@link ReportKeyServer} on 127.0.0.1 with one key, `test-key-1`. */
export async function startReportKeyServer(): Promise<ReportKeyServer> {
	const keys = new Map<string, ReturnType<typeof p256>>([['test-key-1', p256()]])
	const stranger = p256()
	let fetches = 0
	let override: ((res: ServerResponse) => void) | undefined
	const server = createServer((_req, res) => {
		fetches++
		if (override !== undefined) return override(res)
		const listed = [...keys]
		const public_keys = listed.map(([id, pair], i) => ({
			key_identifier: id,
			key: pair.publicKey.export({ type: 'spki', format: 'pem' }),
			is_current: i === listed.length - 1,
		}))
		res.setHeader('content-type', 'application/json')
		res.end(JSON.stringify({ public_keys }))
	})
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	const { port } = server.address() as AddressInfo
	return {
		url: `http://127.0.0.1:${port}/meta/public_keys/secret_scanning`,
		fetches: () => fetches,
		sign: (body, keyId = 'test-key-1') => {
			const pair = keys.get(keyId)
			if (pair === undefined) throw new Error(`no published key ${keyId}`)
			return signatureHeaders(body, keyId, pair.privateKey)
		},
		forge: (body, keyId = 'test-key-1') => signatureHeaders(body, keyId, stranger.privateKey),
		publish: (keyId) => {
			keys.set(keyId, p256())
		},
		answerWith: (answer) => {
			override = answer
		},
		close: async () => {
			server.closeAllConnections()
			await new Promise((resolve) => server.close(resolve))
		},
	}
}
