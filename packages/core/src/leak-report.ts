import type { IncomingMessage } from 'node:http'
import { isKeywardError, KeywardError } from './errors.js'
import type { KeyManagerHost } from './key-management-policy.js'
import type { Keyward } from './keyward.js'
import { isSignedBy, parseLeakReport, reportSignature, verdict } from './leak-report-format.js'
import { type LeakReportOptions, resolveLeakReportOptions } from './leak-report-options.js'
import { createLeakRevoker } from './leak-revocation.js'
import { hasRequestBody, isJsonMediaType, mediaTypeOf, readRequestBytes } from './request-body.js'

/** One report, as an adapter hands it over. */
export interface LeakReportCall<R> {
	/** The framework's request, for `authorize` and `notify`. */
	readonly request: R
	/** The Node request: method, headers, and the raw body, which the receiver reads itself. */
	readonly message: IncomingMessage
}

/** What an adapter sends back: status, headers and a JSON body. */
export interface LeakReportAnswer {
	readonly status: number
	readonly headers: Readonly<Record<string, string>>
	/** JSON: the verdicts (an array) on 200, `{ detail, code }` otherwise. */
	readonly body: unknown
}

/** A leak-report endpoint without its framework, from {@link createLeakReportReceiver}. */
export interface LeakReportReceiver<R> {
	/**
	 * Authenticate a report, revoke the live keys it lists, notify their owners and answer. What a
	 * request can cause is an answer; a throw from `authorize()` and unexpected errors are thrown
	 * for the framework to handle.
	 */
	handle(call: LeakReportCall<R>): Promise<LeakReportAnswer>
}

const NO_STORE = Object.freeze({ 'cache-control': 'no-store' })

function refuse(
	status: number,
	code: string,
	detail: string,
	headers: Record<string, string> = {},
): LeakReportAnswer {
	return { status, headers: { ...NO_STORE, ...headers }, body: { detail, code } }
}

const BAD_SIGNATURE = refuse(401, 'invalid_signature', 'The report signature is missing or invalid')
const UNAUTHORIZED = refuse(401, 'unauthorized', 'The report is not authenticated')
const UNAVAILABLE = refuse(503, 'unavailable', 'Reports cannot be handled now; send it again later', {
	'retry-after': '60',
})

/**
 * The framework-neutral half of `leakReportHandler`: receives leak reports from a code host
 * (GitHub's secret scanning partner program, signed; or a plain JSON call authenticated by the
 * host), revokes every live key listed, records the reported URL in the audit trail, calls
 * `notify` once per revoked key, and answers each token with a `true_positive` or
 * `false_positive` label. A signed report's signature is checked over the raw body before any of
 * it is parsed. Options are checked at once (`KeywardError('invalid_option')`).
 * @param keyward - the keyward whose keys are revoked
 * @param options - see {@link LeakReportOptions}
 * @param host - how the adapter names itself in option errors
 * @example
 * const receiver = createLeakReportReceiver(keyward, { publicKeys: {}, notify }, { name: 'leakReportHandler', request: 'req' })
 * const { status, headers, body } = await receiver.handle({ request: req, message: req })
 */
export function createLeakReportReceiver<R>(
	keyward: Keyward,
	options: Readonly<LeakReportOptions<R>>,
	host: KeyManagerHost,
): LeakReportReceiver<R> {
	if (typeof keyward?.revokeKey !== 'function' || typeof keyward.on !== 'function') {
		throw new KeywardError('invalid_argument', `${host.name} expects a keyward from createKeyward()`)
	}
	const resolved = resolveLeakReportOptions(options, host)
	const { check, notify, onError, tokenField, maxBodyBytes } = resolved
	const revokeReported = createLeakRevoker(keyward, resolved.reporter)

	/** The body, once its sender is authenticated; otherwise the refusal. */
	async function authenticatedBody(call: LeakReportCall<R>): Promise<Buffer | LeakReportAnswer> {
		const { message } = call
		const signature = check.kind === 'signed' ? reportSignature(message.headers) : null
		if (check.kind === 'signed' && signature === null) return BAD_SIGNATURE
		if (check.kind === 'plain' && !(await check.authorize(call.request, message.headers.authorization)))
			return UNAUTHORIZED
		if (message.readableEnded)
			return refuse(400, 'invalid_argument', 'The request body was already read by another middleware')
		const body = await readRequestBytes(message, maxBodyBytes)
		if (!body.ok) {
			return body.reason === 'too_large'
				? refuse(413, 'payload_too_large', 'Report body too large')
				: refuse(400, 'invalid_argument', 'The request body was cut off')
		}
		if (check.kind === 'plain' || signature === null) return body.bytes
		const found = await check.keys.find(signature.keyId)
		if (!found.ok) return found.reason === 'unavailable' ? UNAVAILABLE : BAD_SIGNATURE
		return isSignedBy(body.bytes, signature.signature, found.key) ? body.bytes : BAD_SIGNATURE
	}

	async function answer(call: LeakReportCall<R>): Promise<LeakReportAnswer> {
		const { message } = call
		if (message.method !== 'POST')
			return refuse(405, 'method_not_allowed', 'Send reports with POST', { allow: 'POST' })
		if (!isJsonMediaType(mediaTypeOf(message)))
			return refuse(415, 'unsupported_media_type', 'Send the report as application/json')
		const body = await authenticatedBody(call)
		if (!Buffer.isBuffer(body)) return body
		const entries = parseLeakReport(body.toString('utf8'))
		if (entries === null) return refuse(400, 'invalid_report', 'The body is not a leak report')
		let outcome: Awaited<ReturnType<typeof revokeReported>>
		try {
			outcome = await revokeReported(entries)
		} catch (error) {
			if (isKeywardError(error, 'store_unavailable')) return UNAVAILABLE
			throw error
		}
		// Owners hear of each key this report revoked; a failing hook never undoes a revocation.
		await Promise.all(
			outcome.revoked.map(async (leak) => {
				try {
					await notify?.(leak, call.request)
				} catch (error) {
					onError(error, leak)
				}
			}),
		)
		// One verdict per distinct token, in report order, with the type it was first reported under.
		const first = new Map([...entries].reverse().map((entry) => [entry.token, entry]))
		const verdicts = [...outcome.labels].map(([token, label]) =>
			verdict(first.get(token) as (typeof entries)[number], label, tokenField),
		)
		return { status: 200, headers: NO_STORE, body: verdicts }
	}

	return {
		async handle(call) {
			const answered = await answer(call)
			// A body refused unread (or read in part) is never drained: the connection closes instead,
			// so an endless body sent with a refused report costs nothing.
			const unread = hasRequestBody(call.message) && !call.message.readableEnded
			return unread ? { ...answered, headers: { ...answered.headers, connection: 'close' } } : answered
		},
	}
}
