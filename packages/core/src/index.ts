export {
	type AttachAuditSinkOptions,
	AUDIT_ACTIONS,
	type AuditContext,
	type AuditSink,
	type AuditSubscription,
	attachAuditSink,
	createJsonLinesAuditSink,
	type LineWritable,
	withAuditContext,
} from './audit.js'
export type { CacheOptions } from './cache.js'
export { isKeywardError, KeywardError, type KeywardErrorCode } from './errors.js'
export type { KeywardEventName, KeywardEvents, KeywardListener } from './events.js'
export {
	createExtractor,
	type Extraction,
	type ExtractOptions,
	type Extractor,
	type KeySource,
} from './extract.js'
export type { FailureLimitOptions } from './failure-limiter.js'
export type { Pepper } from './hash.js'
export { generateKey, keyPattern, type ParsedKey, parseKey } from './key-format.js'
export {
	createKeyManager,
	KEY_MANAGEMENT_ROUTES,
	type KeyManagementCall,
	type KeyManagementOperation,
	type KeyManagementPolicy,
	KeyManagementRefusal,
	type KeyManager,
	type KeyManagerHost,
} from './key-management.js'
export { KEY_MANAGEMENT_BODY_LIMIT, readKeyManagementBody } from './key-management-body.js'
export { createKeyward, type Keyward } from './keyward.js'
export type {
	CreatedKey,
	CreateKeyInput,
	CreateKeyLimits,
	KeyLifecycle,
	KeyUsage,
	RotatedKey,
	RotateKeyOptions,
	UpdateKeyInput,
} from './lifecycle.js'
export { MemoryStore } from './memory-store.js'
export {
	isPreflight,
	type KeywardOptions,
	rejectUnknownOptions,
	resolveScopes,
	resolveVerifyOptions,
} from './options.js'
export {
	createQuotaCalendar,
	type QuotaCalendar,
	type QuotaPeriod,
	type QuotaPeriodOptions,
} from './quota-period.js'
export { type RedactOptions, redactHeaders, redactText, redactUrl } from './redact.js'
export { type CheckScopesResult, checkScopes, SCOPE_PATTERN, scopeGrants } from './scopes.js'
export type {
	AuditAction,
	AuditEntry,
	AuditQuery,
	AuditStamp,
	ChangeOptions,
	ConsumeResult,
	CreateRecordOptions,
	DeleteOptions,
	HideCredentials,
	InvalidationChannel,
	KeyInfo,
	KeyPatch,
	KeyRecord,
	KeyRotation,
	KeyStore,
	QuotaState,
	RequestLike,
	RotationResult,
	UsageCounter,
	VerifyFailure,
	VerifyOptions,
	VerifyResult,
	VerifySuccess,
} from './types.js'
export { REJECT_CODES, REJECTIONS, type RejectCode, type RejectStatus } from './wire.js'
