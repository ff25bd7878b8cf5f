import {
	describeAdapterExtraction,
	describeAdapterHiding,
	describeAdapterOptions,
	describeAdapterProperties,
	describeAdapterStatus,
	useHarness,
} from '@keyward/internal-testing'
import { adapter } from './app.js'

// The suites Express and Koa run, against the plain node:http adapter of the guide.
useHarness()
describeAdapterStatus(adapter)
describeAdapterExtraction(adapter)
describeAdapterHiding(adapter)
describeAdapterOptions(adapter)
describeAdapterProperties(adapter)
