import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createKeyward } from '@keyward/core'
import { createApp } from '@keyward/example-express/app'
import {
	pgBouncerUrl,
	pgUrl,
	probePgBouncer,
	probePostgres,
	probeRedis,
	probeRedisCluster,
	redisClusterNodes,
	redisUrl,
	uniqueName,
	useService,
} from '@keyward/internal-testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allSnippets, type Snippet } from './extract.js'

// Every ```ts block of the READMEs and docs is a whole program: it is typechecked with the
// repository's strict settings, against the packages as a user installs them, and run unless its
// document says why not (`<!-- snippet: not run, why -->`).

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..', '..')
const generated = join(here, '..', '.generated')
const harness = join(here, '..', 'src', 'harness.mjs')
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const snippets = allSnippets(root)

const postgres = useService(await probePostgres())
const redis = useService(await probeRedis())
const needsPostgres = (s: Snippet) => /DATABASE_URL|KEYWARD_PG_URL/.test(s.code)
const needsRedis = (s: Snippet) => /KEYWARD_REDIS_URL|ioredis/.test(s.code)
// Probed only when a snippet needs them, so that the other snippets never wait on them.
const needsCluster = (s: Snippet) => /KEYWARD_REDIS_CLUSTER_NODES/.test(s.code)
const needsPgBouncer = (s: Snippet) => /KEYWARD_PGBOUNCER_URL/.test(s.code)
const cluster = snippets.some(needsCluster) && useService(await probeRedisCluster())
const pgBouncer = snippets.some(needsPgBouncer) && useService(await probePgBouncer())

function exec(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
	return new Promise<{ code: number; output: string }>((resolve) => {
		execFile(process.execPath, [file, ...args], { ...options, timeout: 120_000 }, (error, stdout, stderr) => {
			const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
			resolve({ code, output: `${stdout}${stderr}` })
		})
	})
}

/** Compiler messages point at the document and line, not at the generated file. */
function mapToDocs(output: string): string {
	let mapped = output
	for (const s of snippets) {
		const path = `src/${s.file}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
		mapped = mapped.replace(new RegExp(`${path}\\((\\d+),(\\d+)\\)`, 'g'), (_, l: string, c: string) => {
			return `${s.doc}:${s.line + Number(l)}:${c}`
		})
	}
	return mapped
}

describe('documentation snippets', () => {
	let database: string | undefined
	let databaseUrl = pgUrl
	let example: Server
	let exampleKey: string
	let compiled: { code: number; output: string }
	const home = mkdtempSync(join(tmpdir(), 'keyward-snippets-'))

	beforeAll(async () => {
		rmSync(generated, { recursive: true, force: true })
		for (const s of snippets) {
			const file = join(generated, 'src', s.file)
			mkdirSync(dirname(file), { recursive: true })
			// Each snippet is a module of its own, whether or not it imports anything.
			writeFileSync(file, `${s.code}\nexport {}\n`)
		}
		writeFileSync(
			join(generated, 'tsconfig.json'),
			JSON.stringify({
				extends: '../../../tsconfig.base.json',
				compilerOptions: {
					rootDir: 'src',
					outDir: 'dist',
					composite: false,
					incremental: false,
					declaration: false,
					declarationMap: false,
					sourceMap: false,
					inlineSources: false,
				},
				include: ['src'],
			}),
		)
		compiled = await exec(tsc, ['-p', 'tsconfig.json'], { cwd: generated })
		if (postgres) {
			// A database of their own: snippets create tables in `public` and schemas such as `auth`.
			database = uniqueName('snippets')
			const admin = new pg.Client({ connectionString: pgUrl })
			await admin.connect()
			await admin.query(`CREATE DATABASE "${database}"`)
			await admin.end()
			const url = new URL(pgUrl)
			url.pathname = `/${database}`
			databaseUrl = url.toString()
		}
		// The client's snippets call the Express example, as its README says.
		const keyward = createKeyward()
		exampleKey = (await keyward.createKey({ owner: 'ada', scopes: ['reports:read'] })).key
		example = createApp(keyward).listen(0, '127.0.0.1')
		await once(example, 'listening')
	}, 180_000)

	afterAll(async () => {
		example?.close()
		rmSync(home, { recursive: true, force: true })
		if (database !== undefined) {
			const admin = new pg.Client({ connectionString: pgUrl })
			await admin.connect()
			await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)
			await admin.end()
		}
	})

	it('are found, each with its own file name', () => {
		expect(snippets.length).toBeGreaterThan(20)
		expect(new Set(snippets.map((s) => s.file)).size).toBe(snippets.length)
	})

	it('typecheck with the strict settings of the repository', () => {
		expect(mapToDocs(compiled.output)).toBe('')
		expect(compiled.code).toBe(0)
	})

	describe.concurrent('run', () => {
		for (const snippet of snippets) {
			const name = `${snippet.doc}:${snippet.line}`
			const unavailable =
				(needsPostgres(snippet) && !postgres) ||
				(needsRedis(snippet) && !redis) ||
				(needsCluster(snippet) && !cluster) ||
				(needsPgBouncer(snippet) && !pgBouncer)
			it.skipIf(!snippet.run || unavailable)(
				name,
				async () => {
					const cwd = mkdtempSync(join(home, 'run-'))
					const { port } = example.address() as AddressInfo
					const env: NodeJS.ProcessEnv = {
						PATH: process.env.PATH,
						HOME: home,
						XDG_CONFIG_HOME: join(home, '.config'),
						KEYWARD_PG_URL: databaseUrl,
						DATABASE_URL: databaseUrl,
						KEYWARD_REDIS_URL: redisUrl,
						KEYWARD_REDIS_CLUSTER_NODES: redisClusterNodes.join(','),
						KEYWARD_PGBOUNCER_URL: pgBouncerUrl,
						EXAMPLE_URL: `http://127.0.0.1:${port}`,
						EXAMPLE_API_KEY: exampleKey,
					}
					const program = join(generated, 'dist', snippet.file.replace(/\.ts$/, '.js'))
					const { code, output } = await exec(harness, [program], { cwd, env })
					expect({ code, output }).toMatchObject({ code: 0 })
				},
				120_000,
			)
		}
	})

	it('say why when they are not run', () => {
		for (const s of snippets.filter((s) => !s.run)) expect(s.why, `${s.doc}:${s.line}`).toMatch(/\w{4}/)
	})
})
