#!/usr/bin/env node
// Pack every public package once, the way `pnpm publish` would, and check the tarballs: publint
// (strict), arethetypeswrong (ESM-only profile), the files a user expects next to the code
// (LICENSE, README.md, CHANGELOG.md), no `workspace:` ranges left, and that Node can `require()`
// each entry point; then the API reference is generated once, without writing it (`pnpm docs`
// writes it to docs/api/). Run it after `pnpm build`; `pnpm check` does.
import { execFile as execFileCb } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'

const execFile = promisify(execFileCb)
const root = new URL('..', import.meta.url).pathname
const REQUIRED_FILES = [
	'package/LICENSE',
	'package/README.md',
	'package/CHANGELOG.md',
	'package/package.json',
]

/** pnpm as this script was started by (`pnpm verify:packages`), else the pinned one through npx. */
function pnpm(args, options) {
	const execPath = process.env.npm_execpath
	if (execPath?.includes('pnpm')) return execFile(process.execPath, [execPath, ...args], options)
	return execFile('npx', ['-y', 'pnpm@10.34.9', ...args], options)
}

async function publicPackages() {
	const found = []
	for (const name of (await readdir(join(root, 'packages'))).sort()) {
		const dir = join(root, 'packages', name)
		const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'))
		if (manifest.private !== true) found.push({ dir, manifest })
	}
	return found
}

async function checkTarball(tarball, pkg) {
	const problems = []
	const { stdout: listing } = await execFile('tar', ['-tzf', tarball])
	const files = listing.split('\n').filter(Boolean)
	for (const file of REQUIRED_FILES) if (!files.includes(file)) problems.push(`${file.slice(8)} is missing`)
	const { stdout: packed } = await execFile('tar', ['-xzOf', tarball, 'package/package.json'])
	if (packed.includes('workspace:')) problems.push('package.json still has a workspace: range')

	const data = await readFile(tarball)
	const tarballBuffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)
	const lint = await publint({ pack: { tarball: tarballBuffer }, strict: true, level: 'suggestion' })
	for (const message of lint.messages) {
		problems.push(
			`publint ${message.type}: ${formatMessage(message, lint.pkg, { color: false }) ?? message.code}`,
		)
	}

	const attw = join(root, 'node_modules', '.bin', 'attw')
	const attwArgs = [tarball, '--profile', 'esm-only', '--format', 'ascii', '--no-color', '--no-emoji']
	// attw exits with status 1 when it finds a problem, and prints the table that shows it.
	await execFile(attw, attwArgs).catch((error) =>
		problems.push(`arethetypeswrong:\n${error.stdout || error.message}`),
	)
	return { name: pkg.manifest.name, files: files.length, problems }
}

/** Every entry point loads with `require()` (Node >= 20.19 loads ESM from require). */
async function checkRequire(packages) {
	const problems = []
	for (const { dir, manifest } of packages) {
		const require = createRequire(join(dir, 'package.json'))
		for (const entry of Object.keys(manifest.exports ?? {})) {
			if (entry === './package.json') continue
			const specifier = entry === '.' ? manifest.name : `${manifest.name}${entry.slice(1)}`
			// The testing entry needs vitest, an optional peer that only test runs have.
			if (entry === './testing') continue
			try {
				require(specifier)
			} catch (error) {
				problems.push(`require('${specifier}') failed: ${error.message.split('\n')[0]}`)
			}
		}
	}
	return problems
}

/** Generate the API reference from the TSDoc without writing it; resolves to `true` when it worked. */
function checkDocs() {
	const typedoc = join(root, 'node_modules', '.bin', 'typedoc')
	return execFile(typedoc, ['--emit', 'none', '--logLevel', 'Error'], { cwd: root }).then(
		() => {
			process.stdout.write('ok   API reference (typedoc)\n')
			return true
		},
		(error) => {
			process.stdout.write(`FAIL API reference (typedoc):\n${error.stdout}${error.stderr}\n`)
			return false
		},
	)
}

async function main() {
	const started = Date.now()
	const packages = await publicPackages()
	const out = await mkdtemp(join(tmpdir(), 'keyward-pack-'))
	try {
		await pnpm(['-r', '--filter', './packages/*', 'pack', '--pack-destination', out], { cwd: root })
		const tarballs = await readdir(out)
		const results = await Promise.all(
			packages.map((pkg) => {
				const file = `${pkg.manifest.name.replace('@', '').replace('/', '-')}-${pkg.manifest.version}.tgz`
				if (!tarballs.includes(file))
					return { name: pkg.manifest.name, files: 0, problems: [`no tarball ${file}`] }
				return checkTarball(join(out, file), pkg)
			}),
		)
		process.removeAllListeners('warning')
		const requireProblems = await checkRequire(packages)
		let failed = requireProblems.length > 0
		for (const { name, files, problems } of results) {
			failed ||= problems.length > 0
			process.stdout.write(`${problems.length === 0 ? 'ok  ' : 'FAIL'} ${name} (${files} files)\n`)
			for (const problem of problems) process.stdout.write(`     ${problem.replace(/\n/g, '\n     ')}\n`)
		}
		for (const problem of requireProblems) process.stdout.write(`FAIL ${problem}\n`)
		if (!(await checkDocs())) failed = true
		const seconds = ((Date.now() - started) / 1000).toFixed(1)
		process.stdout.write(
			`${failed ? 'Packages have problems' : 'Every package is ready to publish'} (${seconds}s)\n`,
		)
		process.exitCode = failed ? 1 : 0
	} finally {
		await rm(out, { recursive: true, force: true })
	}
}

await main()
