import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'
import { type NodeProcess, startNodeProcess } from './processes.js'

/** The first code block after the `## <heading>` line of `readme`, exactly as a reader copies it. */
export function readmeBlock(readme: URL, heading: string): string {
	const text = readFileSync(readme, 'utf8')
	const at = text.indexOf(`\n## ${heading}\n`)
	if (at === -1) throw new Error(`no "## ${heading}" section in ${readme.pathname}`)
	const block = /```[a-z]*\n([\s\S]*?)```/.exec(text.slice(at))?.[1]
	if (block === undefined) throw new Error(`no code block under "## ${heading}"`)
	return block
}

/**
 * Run the example under `## <heading>` of the README in `packageDir` verbatim, as `node file.mjs`
 * from a file in the package's `test-artifacts/`, so that its imports resolve as they do for a
 * user of the package. The code must be valid JavaScript as well as TypeScript.
 * @example
 * const example = startReadmeExample(new URL('../', import.meta.url), 'Five minutes', { PORT: '0' })
 * const [, url] = await example.waitForLine(/^curl .* (\S+)$/)
 */
export function startReadmeExample(
	packageDir: URL,
	heading: string,
	env: Record<string, string> = {},
): NodeProcess {
	const code = readmeBlock(new URL('README.md', packageDir), heading)
	const dir = new URL('test-artifacts/', packageDir)
	mkdirSync(dir, { recursive: true })
	const file = new URL(`readme-${heading.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.mjs`, dir)
	writeFileSync(file, code)
	return startNodeProcess(fileURLToPath(file), env)
}

/**
 * Check a running five-minute example of an adapter's README: it prints
 * `curl -H 'x-api-key: <key>' <url>` for a route that answers `{ owner: 'acme' }`, refuses a
 * tampered key as malformed with the challenge, and answers `health` without a key. Resolves with
 * the key and URL, for the adapter's own checks.
 */
export async function expectFiveMinuteExample(
	example: NodeProcess,
	health: string,
): Promise<{ key: string; url: string }> {
	const [, key = '', url = ''] = await example.waitForLine(/^curl -H 'x-api-key: (\S+)' (\S+)$/)
	const ok = await fetch(url, { headers: { 'x-api-key': key } })
	expect([ok.status, await ok.json()]).toEqual([200, { owner: 'acme' }])
	const tampered = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`
	const refused = await fetch(url, { headers: { 'x-api-key': tampered } })
	expect([refused.status, await refused.json()]).toEqual([
		401,
		{ detail: 'Invalid API key', code: 'malformed' },
	])
	expect(refused.headers.get('www-authenticate')).toBe('Apikey realm="api"')
	expect((await fetch(new URL(health, url))).status).toBe(200)
	return { key, url }
}
