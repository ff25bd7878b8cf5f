export {
	type AttachAuditSinkOptions,
	AUDIT_ACTIONS,
	type AuditSink,
	type AuditSubscription,
	attachAuditSink,
	createJsonLinesAuditSink,
	type LineWritable,
} from './audit.js'
export { type AuditContext, withAuditContext } from './audit-context.js'
export type { HealthReport } from './health.js'
export type { UsageHistory, UsageHistoryQuery } from './history-types.js'
export type { ImportedKey, ImportKeyInput, ImportKeyOptions } from './key-import.js'
export {
	createKeyManager,
	KEY_MANAGEMENT_ROUTES,
	type KeyManagementCall,
	type KeyManagementOperation,
	type KeyManager,
} from './key-management.js'
export {
	describeKeyManagementApi,
	type KeyManagementApiOptions,
	type OpenApiDocument,
	resolveOpenApiOption,
} from './key-management-openapi.js'
export {
	type KeyManagementPolicy,
	KeyManagementRefusal,
	type KeyManagerHost,
} from './key-management-policy.js'
export {
	createLeakReportReceiver,
	type LeakReportAnswer,
	type LeakReportCall,
	type LeakReportReceiver,
} from './leak-report.js'
export {
	type LeakLabel,
	type LeakReportEntry,
	type LeakTokenField,
	type LeakVerdict,
	MAX_REPORTED_TOKENS,
	parseLeakReport,
} from './leak-report-format.js'
export { GITHUB_REPORT_KEYS_URL, type ReportKeysOptions } from './leak-report-keys.js'
export type { LeakReportOptions } from './leak-report-options.js'
export type { LeakedKey, LeakLocation } from './leak-revocation.js'
export type { LegacyFormat, LegacyFormatOption } from './legacy-format.js'
export type {
	CreateKeyLimits,
	KeyUsage,
	RotateKeyOptions,
	UpdateKeyInput,
} from './lifecycle-types.js'
export type {
	CreatedSession,
	CreateSessionOptions,
	CreateSessionResult,
	EndSessionOptions,
	SessionInfo,
} from './session-types.js'
export type { AuditAction, AuditEntry, AuditQuery, AuditStamp } from './store-types.js'
