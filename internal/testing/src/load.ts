import { setTimeout as sleep } from 'node:timers/promises'

/** One request made by {@link startLoad}. */
export interface LoadSample {
	/** What the request function resolved to (e.g. `'200'` or `'503 unavailable'`), or `'threw: …'`. */
	outcome: string
	/** `performance.now()` when the request started and ended. */
	startedAt: number
	endedAt: number
}

/** Requests running in a loop until stopped. */
export interface Load {
	readonly samples: readonly LoadSample[]
	/** Resolves once `predicate(samples)` holds; rejects after `timeoutMs`. */
	until(predicate: (samples: readonly LoadSample[]) => boolean, timeoutMs?: number): Promise<void>
	/** Stop starting requests and wait for the running ones. */
	stop(): Promise<void>
}

/**
 * Run `request` from `concurrency` workers back to back (with a short pause, so failing fast
 * does not spin) and record every outcome. A thrown error is recorded as `threw: message`.
 * @example
 * const load = startLoad(async () => String((await keyward.verify(req)).status), 8)
 * await load.until((s) => s.length > 100)
 */
export function startLoad(request: () => Promise<string>, concurrency: number, pauseMs = 2): Load {
	const samples: LoadSample[] = []
	let running = true
	const worker = async () => {
		while (running) {
			const startedAt = performance.now()
			let outcome: string
			try {
				outcome = await request()
			} catch (error) {
				outcome = `threw: ${(error as Error)?.message ?? String(error)}`
			}
			samples.push({ outcome, startedAt, endedAt: performance.now() })
			await sleep(pauseMs)
		}
	}
	const workers = Array.from({ length: concurrency }, worker)
	return {
		samples,
		async until(predicate, timeoutMs = 10_000) {
			const deadline = performance.now() + timeoutMs
			while (!predicate(samples)) {
				if (performance.now() > deadline) {
					const seen = new Map<string, number>()
					for (const s of samples) seen.set(s.outcome, (seen.get(s.outcome) ?? 0) + 1)
					throw new Error(
						`load condition not met within ${timeoutMs} ms; outcomes: ${JSON.stringify([...seen])}`,
					)
				}
				await sleep(10)
			}
		},
		async stop() {
			running = false
			await Promise.all(workers)
		},
	}
}
