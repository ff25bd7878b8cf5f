export type { CacheOptions } from './cache-options.js'
export { isKeywardError, KeywardError, type KeywardErrorCode } from './errors.js'
export type { KeywardEvents } from './events.js'
export type { ExtractOptions, ExtractSettings } from './extract.js'
export type { FailureLimitOptions } from './failure-limiter.js'
export type { Pepper } from './hash.js'
export {
	type KeyPatternFlavor,
	keyPattern,
	keyPatternSource,
	parseKey,
} from './key-format.js'
export { createKeyward, type Keyward } from './keyward.js'
export type { CreatedKey, CreateKeyInput, RotatedKey } from './lifecycle-types.js'
export type { LifetimePolicy } from './lifetime.js'
export { MemoryStore } from './memory-store.js'
export type { KeywardOptions } from './options.js'
export type { QuotaPeriodOptions } from './quota-period.js'
export { redactHeaders, redactText, redactUrl } from './redact.js'
export { checkScopes } from './scopes.js'
export { type ApiKeySecurityScheme, securitySchemes } from './security-schemes.js'
export type { SessionOptions } from './session-types.js'
export type { KeyStore, UsageCounter } from './store-types.js'
export type {
	HideCredentials,
	InvalidationChannel,
	KeyInfo,
	OwnerInfo,
	OwnerPatch,
	RequestLike,
	VerifiedKey,
	VerifyFailure,
	VerifyOptions,
	VerifyResult,
	VerifySuccess,
} from './types.js'
export { REJECTIONS, type RejectCode } from './wire.js'
