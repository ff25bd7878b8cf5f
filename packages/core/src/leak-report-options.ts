import { createHash, timingSafeEqual } from 'node:crypto'
import { KeywardError } from './errors.js'
import type { KeyManagerHost } from './key-management-policy.js'
import type { LeakTokenField } from './leak-report-format.js'
import { createReportKeySet, type ReportKeySet, type ReportKeysOptions } from './leak-report-keys.js'
import type { LeakedKey } from './leak-revocation.js'
import { rejectUnknownOptions } from './options.js'

/**
 * Options of a leak-report endpoint (`leakReportHandler` of `@keyward/express` and
 * `@keyward/koa`). `R` is the framework's request (`Request`, `Context`). Exactly one of
 * `publicKeys` (signed reports, as GitHub sends them), `secret` or `authorize` (plain reports
 * from another code host) says how a report is authenticated.
 */
export interface LeakReportOptions<R> {
	/**
	 * Signed reports: the body must carry an ECDSA P-256 signature (`Github-Public-Key-Signature`)
	 * by a key listed at `publicKeys.url` (GitHub's secret scanning keys by default) under the id
	 * in `Github-Public-Key-Identifier`. `{}` takes GitHub's defaults.
	 */
	publicKeys?: Readonly<ReportKeysOptions> | undefined
	/**
	 * Plain reports: a shared secret (at least 32 characters) the code host sends as
	 * `Authorization: Bearer <secret>` or as the bare `Authorization` value (GitLab's Token
	 * Revocation API), compared in constant time.
	 */
	secret?: string | undefined
	/**
	 * Plain reports: the host's own check of the request (mutual TLS, an IP list, its own token).
	 * A falsy answer is 401; a throw goes to the framework's error handling.
	 */
	authorize?: ((request: R) => boolean | Promise<boolean>) | undefined
	/**
	 * The code host, in the audit actor `leak-report:<reporter>` and in {@link LeakedKey}: letters,
	 * digits, `.`, `_` and `-`. @defaultValue 'github' with `publicKeys`, else 'code-host'
	 */
	reporter?: string | undefined
	/**
	 * Called once for each key a report revoked (not for keys that were already revoked), after the
	 * revocation committed, to tell the owner: queue an email, open a ticket. The answer waits for
	 * it, so keep it quick. A throw or rejection goes to `onError` and changes nothing.
	 */
	notify?: ((leak: LeakedKey, request: R) => void | Promise<void>) | undefined
	/** Receives failures of `notify`. @defaultValue a process warning */
	onError?: ((error: unknown, leak: LeakedKey) => void) | undefined
	/**
	 * How the answer names each reported token: `'token_hash'` (its SHA-256, hex), which never
	 * echoes a secret, or `'token_raw'` (the token as reported). @defaultValue 'token_hash'
	 */
	tokenField?: LeakTokenField | undefined
	/** Largest report body read; a larger one is refused (413) unread. @defaultValue 1048576 */
	maxBodyBytes?: number | undefined
}

/** How a receiver authenticates a report. */
export type ReportCheck<R> =
	| { readonly kind: 'signed'; readonly keys: ReportKeySet }
	| { readonly kind: 'plain'; readonly authorize: (request: R, authorization: unknown) => Promise<boolean> }

/** {@link LeakReportOptions} after validation. */
export interface ResolvedLeakReportOptions<R> {
	readonly check: ReportCheck<R>
	readonly reporter: string
	readonly notify: NonNullable<LeakReportOptions<R>['notify']> | undefined
	readonly onError: NonNullable<LeakReportOptions<R>['onError']>
	readonly tokenField: LeakTokenField
	readonly maxBodyBytes: number
}

const OPTIONS = [
	'publicKeys',
	'secret',
	'authorize',
	'reporter',
	'notify',
	'onError',
	'tokenField',
	'maxBodyBytes',
]
const KEYS_OPTIONS = ['url', 'headers', 'timeoutMs', 'maxBytes', 'ttlMs', 'minFetchIntervalMs', 'now']
const REPORTER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

function fail(message: string): never {
	throw new KeywardError('invalid_option', message)
}

const digest = (text: string) => createHash('sha256').update(text).digest()

/** A check of the `Authorization` header against `secret`, in constant time (digests of equal length). */
function secretCheck(secret: unknown): (request: unknown, authorization: unknown) => Promise<boolean> {
	if (typeof secret !== 'string' || secret.length < 32 || /\s/.test(secret))
		fail('secret must be at least 32 characters without spaces')
	const expected = digest(secret)
	return async (_request, authorization) => {
		if (typeof authorization !== 'string') return false
		const presented = /^bearer /i.test(authorization) ? authorization.slice(7).trim() : authorization.trim()
		return timingSafeEqual(digest(presented), expected)
	}
}

/** Validate the options of a leak-report endpoint at once (`KeywardError('invalid_option')`). */
export function resolveLeakReportOptions<R>(
	options: Readonly<LeakReportOptions<R>>,
	host: KeyManagerHost,
): ResolvedLeakReportOptions<R> {
	if (typeof options !== 'object' || options === null) fail(`${host.name} needs options`)
	rejectUnknownOptions(options, [...OPTIONS, ...(host.options ?? [])], `${host.name} options`)
	const { publicKeys, secret, authorize, notify, onError } = options
	const modes = [publicKeys, secret, authorize].filter((mode) => mode !== undefined).length
	if (modes !== 1) fail(`${host.name} needs exactly one of publicKeys, secret or authorize`)
	let check: ReportCheck<R>
	if (publicKeys !== undefined) {
		if (typeof publicKeys !== 'object' || publicKeys === null) fail('publicKeys must be an object')
		rejectUnknownOptions(publicKeys, KEYS_OPTIONS, 'publicKeys')
		check = { kind: 'signed', keys: createReportKeySet(publicKeys) }
	} else if (secret !== undefined) {
		check = { kind: 'plain', authorize: secretCheck(secret) }
	} else {
		if (typeof authorize !== 'function') fail(`authorize must be a function of ${host.request}`)
		check = { kind: 'plain', authorize: async (request) => Boolean(await authorize(request)) }
	}
	const reporter = options.reporter ?? (check.kind === 'signed' ? 'github' : 'code-host')
	if (typeof reporter !== 'string' || !REPORTER.test(reporter))
		fail('reporter must be 1-64 letters, digits, ".", "_" or "-"')
	if (notify !== undefined && typeof notify !== 'function') fail('notify must be a function')
	if (onError !== undefined && typeof onError !== 'function') fail('onError must be a function')
	const tokenField = options.tokenField ?? 'token_hash'
	if (tokenField !== 'token_hash' && tokenField !== 'token_raw')
		fail('tokenField must be "token_hash" or "token_raw"')
	const maxBodyBytes = options.maxBodyBytes ?? 1_048_576
	if (typeof maxBodyBytes !== 'number' || !Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1024)
		fail('maxBodyBytes must be an integer of at least 1024')
	return {
		check,
		reporter,
		notify,
		onError:
			onError ??
			((error) =>
				process.emitWarning(
					`keyward leak report: notify failed: ${(error as Error)?.message ?? String(error)}`,
				)),
		tokenField,
		maxBodyBytes,
	}
}
