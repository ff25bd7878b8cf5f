import { describe } from 'vitest'
import { MemoryStore } from '../src/memory-store.js'
import { runKeyStoreConformance, runUsageCounterConformance } from '../src/testing/index.js'

describe('MemoryStore', () => {
	runKeyStoreConformance(() => new MemoryStore())
	runUsageCounterConformance(() => new MemoryStore())
})
