import { describeAdapterOptions, useHarness } from '@keyward/internal-testing'
import { adapter } from './app.js'

useHarness()
describeAdapterOptions(adapter)
