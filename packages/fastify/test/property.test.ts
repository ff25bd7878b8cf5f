import { describeAdapterProperties, useHarness } from '@keyward/internal-testing'
import { adapter } from './app.js'

useHarness()
describeAdapterProperties(adapter)
