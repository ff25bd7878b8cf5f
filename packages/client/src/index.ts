export {
	type ApiRejectCode,
	AuthenticationError,
	KeywardApiError,
	type KeywardApiErrorInit,
	PermissionError,
	QuotaExceededError,
	ServiceUnavailableError,
	TooManyFailuresError,
} from './api-errors.js'
export { type ClientOptions, createClient, type JsonRequestInit, type KeywardClient } from './client.js'
export { APP_NAME_PATTERN, defaultCredentialsPath, type SystemOptions, userConfigDir } from './config-dir.js'
export {
	API_KEY_ENTRY,
	CredentialsFile,
	type CredentialsFileOptions,
	checkProfileName,
	PROFILE_PATTERN,
} from './credentials-file.js'
export { isKeywardClientError, KeywardClientError, type KeywardClientErrorCode } from './errors.js'
export type { FileLockOptions } from './file-lock.js'
export { type PromptHiddenOptions, type PromptInput, type PromptOutput, promptHidden } from './prompt.js'
export { type HeaderReader, parseRateLimit, type QuotaInfo } from './rate-limit.js'
export {
	type ApiKeySource,
	type ResolveApiKeyOptions,
	type ResolvedApiKey,
	resolveApiKey,
} from './resolve-api-key.js'
export type { RetryOptions } from './retry.js'
export { MAX_API_KEY_LENGTH, normalizeApiKey } from './validate-key.js'
