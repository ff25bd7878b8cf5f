import { metrics } from '@opentelemetry/api'
import {
	AggregationTemporality,
	type DataPoint,
	type Histogram,
	InMemoryMetricExporter,
	MeterProvider,
	PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { afterEach, describe, expect, it } from 'vitest'
import { createKeyward } from '../src/keyward.js'
import { MemoryStore } from '../src/memory-store.js'
import type { KeywardOptions } from '../src/options.js'
import { clock, delegate } from './helpers.js'

/** An SDK meter provider whose readings land in memory, read on demand. */
function sdk() {
	const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
	// The interval never passes during a test: readings are taken with forceFlush().
	const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
	const provider = new MeterProvider({ readers: [reader] })
	/** Every data point of each instrument, by instrument name, as `{ attribute value: value }`. */
	async function read(): Promise<Record<string, Record<string, unknown>>> {
		await reader.forceFlush()
		const out: Record<string, Record<string, unknown>> = {}
		const last = exporter.getMetrics().at(-1)
		for (const scope of last?.scopeMetrics ?? []) {
			for (const metric of scope.metrics) {
				const points: Record<string, unknown> = {}
				for (const point of metric.dataPoints as DataPoint<number | Histogram>[]) {
					points[Object.values(point.attributes).join(',')] = point.value
				}
				out[metric.descriptor.name] = points
			}
		}
		return out
	}
	return { provider, read }
}

describe('metrics through OpenTelemetry', () => {
	const providers: MeterProvider[] = []
	afterEach(async () => {
		for (const provider of providers.splice(0)) await provider.shutdown()
		metrics.disable()
	})

	it('counts verifications by outcome, times them, and counts cache lookups and store errors', async () => {
		const { provider, read } = sdk()
		providers.push(provider)
		const memory = new MemoryStore()
		let down = false
		const store = delegate(memory, {
			findByHash: (hash) => (down ? Promise.reject(new Error('down')) : memory.findByHash(hash)),
		})
		const time = clock()
		const keyward = createKeyward({
			store,
			usage: memory,
			now: time.now,
			meter: provider.getMeter('@keyward/core'),
		})
		keyward.on('error', () => {})
		const { key } = await keyward.createKey({ owner: 'acme', scopes: ['read'] })
		for (let i = 0; i < 3; i++) expect((await keyward.verifyKey(key, { scopes: ['read'] })).ok).toBe(true)
		for (let i = 0; i < 2; i++) await keyward.verifyKey(key, { scopes: ['write'] })
		await keyward.verifyKey('kw_nope')
		await keyward.verify({ headers: {}, url: '/' })
		down = true
		time.advance(60_000)
		expect(await keyward.verifyKey(key)).toMatchObject({ code: 'unavailable' })

		const seen = await read()
		expect(seen['keyward.verifications']).toEqual({
			ok: 3,
			insufficient_scope: 2,
			malformed: 1,
			missing: 1,
			unavailable: 1,
		})
		const ok = seen['keyward.verification.duration']?.ok as Histogram
		expect(ok.count).toBe(3)
		expect(ok.min).toBeGreaterThanOrEqual(0)
		// One lookup missed the cache at first; the next four found the key; the last one, a minute
		// later, missed again (the entry had aged out) and found the store down.
		expect(seen['keyward.cache.lookups']).toEqual({ miss: 2, hit: 4 })
		expect(seen['keyward.store.errors']).toEqual({ find_key: 1 })
		// No attribute carries a key id: series stay few whatever the number of keys.
		expect(JSON.stringify(seen)).not.toContain((await keyward.listKeys())[0]?.id)
		await keyward.close()
	})

	it('takes the meter of the global API, and records nothing without one', async () => {
		const { provider, read } = sdk()
		providers.push(provider)
		metrics.setGlobalMeterProvider(provider)
		const options: KeywardOptions = { meter: metrics.getMeter('@keyward/core', '0.1.0') }
		const keyward = createKeyward(options)
		const quiet = createKeyward()
		const { key } = await keyward.createKey({ owner: 'acme' })
		await keyward.verifyKey(key)
		await quiet.verifyKey(key)
		expect((await read())['keyward.verifications']).toEqual({ ok: 1 })
	})
})
