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
export {
	createKeyManager,
	KEY_MANAGEMENT_ROUTES,
	type KeyManagementCall,
	type KeyManagementOperation,
	type KeyManager,
} from './key-management.js'
export {
	type KeyManagementPolicy,
	KeyManagementRefusal,
	type KeyManagerHost,
} from './key-management-policy.js'
export type { CreatedSession, EndSessionOptions, SessionInfo } from './session-types.js'
export type { AuditAction, AuditEntry, AuditQuery, AuditStamp } from './store-types.js'
