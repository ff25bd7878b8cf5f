// Shared settings of the benchmark scripts: service URLs, unique names, small statistics helpers.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const benchDir = dirname(dirname(fileURLToPath(import.meta.url)))
export const resultsDir = join(benchDir, '.results')
export const pgUrl = process.env.KEYWARD_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
export const redisUrl = process.env.KEYWARD_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A name no other run uses: schemas and Redis prefixes are dropped by the run that made them. */
export function uniqueName(stem) {
	return `${stem}_${process.pid}_${Date.now().toString(36)}`
}

/** `taskset` pins processes to cores when it exists (Linux with util-linux). */
export const canPin = (() => {
	try {
		execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
		return cpus().length >= 2
	} catch {
		return false
	}
})()

export function median(values) {
	const sorted = [...values].sort((a, b) => a - b)
	const mid = sorted.length >> 1
	return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Percentile (0-100) of unsorted numbers, nearest rank. */
export function percentile(values, p) {
	const sorted = Float64Array.from(values).sort()
	const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
	return sorted[rank]
}

export async function saveResult(name, data) {
	await mkdir(resultsDir, { recursive: true })
	await writeFile(
		join(resultsDir, `${name}.json`),
		`${JSON.stringify({ at: new Date().toISOString(), ...data }, null, '\t')}\n`,
	)
}

export async function loadResult(name) {
	const file = join(resultsDir, `${name}.json`)
	if (!existsSync(file)) return undefined
	return JSON.parse(await readFile(file, 'utf8'))
}

/** Probe a TCP service (PostgreSQL, Redis) so suites can skip a row loudly instead of failing. */
export async function reachable(url, defaultPort) {
	const { connect } = await import('node:net')
	const parsed = new URL(url)
	return new Promise((resolve) => {
		const socket = connect({ host: parsed.hostname, port: Number(parsed.port || defaultPort) })
		const done = (ok) => {
			socket.destroy()
			resolve(ok)
		}
		socket.setTimeout(1000, () => done(false))
		socket.once('connect', () => done(true))
		socket.once('error', () => done(false))
	})
}

export function machine() {
	const cpu = cpus()
	return {
		cpu: cpu[0]?.model ?? 'unknown',
		cores: cpu.length,
		memoryGiB: Math.round(totalmem() / 2 ** 30),
		node: process.version,
		platform: `${process.platform} ${process.arch}`,
	}
}

/** Delete every Redis key starting with `prefix` (the run's own keys only). */
export async function deleteRedisKeys(client, prefix) {
	for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
		if (keys.length > 0) await client.unlink(keys)
	}
}
