export type { UsageHistoryRange, UsageHistoryRow, UsageHistoryStore, UsageOutcome } from '../history-types.js'
export { generateKey } from '../key-format.js'
export type { SessionRecord } from '../session-types.js'
export type {
	AuditAction,
	AuditEntry,
	AuditQuery,
	AuditStamp,
	ChangeOptions,
	ConsumeAllResult,
	CounterLimit,
	CreateRecordOptions,
	CreateSessionRecordOptions,
	DeleteOptions,
	KeyRotation,
	RotationResult,
} from '../store-types.js'
export type { ConsumeResult, KeyPatch, KeyRecord } from '../types.js'
export { runKeyStoreConformance } from './key-store-conformance.js'
export { sampleRecord, sampleSession } from './sample-record.js'
export { failingStore, forwardingStore } from './stores.js'
export { runUsageCounterConformance } from './usage-counter-conformance.js'
export { runUsageHistoryConformance } from './usage-history-conformance.js'
