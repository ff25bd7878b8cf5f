import { CodedError } from './wire.js'

/** Stable codes of {@link KeywardError}. */
export type KeywardErrorCode =
	| 'invalid_option'
	| 'invalid_argument'
	| 'key_not_found'
	| 'ambiguous_id'
	| 'duplicate_key'
	| 'too_many_keys'
	| 'key_not_active'
	| 'store_unavailable'
	| 'not_supported'

/**
 * The one error class keyward throws, for misuse and management failures. Requests never throw:
 * they get a `VerifyResult`. Messages are fixed text and never contain key material.
 */
export class KeywardError extends CodedError<KeywardErrorCode> {
	override readonly name = 'KeywardError'
}

/** `true` when `error` is a {@link KeywardError}, optionally with the given code. */
export function isKeywardError(error: unknown, code?: KeywardErrorCode): error is KeywardError {
	return error instanceof KeywardError && (code === undefined || error.code === code)
}
