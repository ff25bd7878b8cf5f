import { CodedError } from '@keyward/core/wire'

/** Stable codes of {@link KeywardClientError}. */
export type KeywardClientErrorCode =
	| 'invalid_option'
	| 'invalid_argument'
	| 'invalid_api_key'
	| 'invalid_profile'
	| 'api_key_not_found'
	| 'prompt_cancelled'
	| 'env_file_not_found'
	| 'lock_timeout'
	| 'lock_invalid'

/**
 * Thrown for problems on the caller's side: a bad option, a malformed key, no key found, a
 * cancelled prompt. Errors returned by the API are {@link KeywardApiError}s instead.
 * Messages are fixed text plus names and paths; they never contain key material.
 */
export class KeywardClientError extends CodedError<KeywardClientErrorCode> {
	override readonly name = 'KeywardClientError'
}

/**
 * `true` when `error` is a {@link KeywardClientError}, optionally with the given code.
 * @example if (isKeywardClientError(error, 'api_key_not_found')) showLoginHelp()
 */
export function isKeywardClientError(
	error: unknown,
	code?: KeywardClientErrorCode,
): error is KeywardClientError {
	return error instanceof KeywardClientError && (code === undefined || error.code === code)
}
