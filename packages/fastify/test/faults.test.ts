import { describeAdapterFaults, useHarness } from '@keyward/internal-testing'
import { apiKeyAuth } from '../src/index.js'
import { serveApp } from './app.js'

useHarness()
describeAdapterFaults((keyward) => serveApp(apiKeyAuth(keyward)))
