export { runKeyStoreConformance } from './key-store-conformance.js'
export { sampleRecord } from './sample-record.js'
export { runUsageCounterConformance } from './usage-counter-conformance.js'
