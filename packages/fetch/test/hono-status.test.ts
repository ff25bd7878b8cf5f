import { describeAdapterStatus, useHarness } from '@keyward/internal-testing'
import { adapter } from './app.js'

useHarness()
describeAdapterStatus(adapter)
