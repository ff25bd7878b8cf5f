import { describeAdapterHiding, useHarness } from '@keyward/internal-testing'
import { adapter } from './app.js'

useHarness()
describeAdapterHiding(adapter)
