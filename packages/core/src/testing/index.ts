export { runKeyStoreConformance } from './key-store-conformance.js'
export { sampleRecord } from './sample-record.js'
export { failingStore, forwardingStore } from './stores.js'
export { runUsageCounterConformance } from './usage-counter-conformance.js'
