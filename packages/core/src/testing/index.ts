export { runKeyStoreConformance, runUsageCounterConformance, sampleRecord } from './conformance.js'
