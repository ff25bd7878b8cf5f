import { describeAdapterExtraction, useHarness } from '@keyward/internal-testing'
import { adapter } from './app.js'

useHarness()
describeAdapterExtraction(adapter)
