import { existsSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Served, serve } from './serve.js'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url))
const available = existsSync(CHROMIUM)

if (!available) {
	const message = `Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`
	if (process.env.KEYWARD_REQUIRE_SERVICES === '1') {
		it('Chromium is installed (KEYWARD_REQUIRE_SERVICES=1)', () => {
			throw new Error(message)
		})
	} else {
		console.warn(
			`\n[keyward tests] SKIPPING the key dashboard browser test: ${message}.\n` +
				'  KEYWARD_REQUIRE_SERVICES=1 turns this skip into a failure.\n',
		)
	}
}

/** Waits up to 10 s: the machine may be busy running every other test file at the same time. */
function poll<T>(read: () => Promise<T> | T) {
	return expect.poll(read, { timeout: 10_000, interval: 100 })
}

async function callApi(base: string, key: string, path = '/api/hello') {
	const response = await fetch(`${base}${path}`, { headers: { authorization: `Apikey ${key}` } })
	return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

describe.skipIf(!available)('key dashboard in Chromium', { timeout: 60_000 }, () => {
	let served: Served
	let browser: Browser
	const contexts: BrowserContext[] = []

	beforeAll(async () => {
		mkdirSync(ARTIFACTS, { recursive: true })
		served = await serve()
		// launch() gives every run a fresh, throw-away user-data-dir; each context has its own cookies.
		browser = await chromium.launch({
			executablePath: CHROMIUM,
			headless: true,
			args: [
				'--headless',
				'--no-sandbox',
				'--disable-gpu',
				'--disable-quic',
				'--no-first-run',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync',
			],
		})
	}, 30_000)

	afterAll(async () => {
		await browser?.close()
		await served?.close()
	})

	async function signIn(name: string, at: Served = served): Promise<Page> {
		const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
		await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: at.base })
		contexts.push(context)
		const page = await context.newPage()
		const problems: string[] = []
		page.on('pageerror', (error) => problems.push(error.message))
		page.on('console', (message) => {
			if (message.type() === 'error') problems.push(message.text())
		})
		await page.goto(at.base)
		await page.getByRole('button', { name: `Sign in as ${name}` }).click()
		await page.getByRole('heading', { name: 'Your API keys' }).waitFor()
		expect(problems).toEqual([])
		return page
	}

	async function createKey(page: Page, name: string, scopes: string[], quota: number): Promise<string> {
		await page.getByLabel('Name', { exact: true }).fill(name)
		for (const scope of scopes) await page.getByLabel(scope).check()
		await page.getByLabel('Expires after').selectOption('30d')
		await page.getByLabel('Monthly request quota').fill(String(quota))
		await page.getByRole('button', { name: 'Generate API key' }).click()
		await poll(() => page.locator('#new-key').inputValue()).toMatch(served.keyward.keyPattern)
		return page.locator('#new-key').inputValue()
	}

	function row(page: Page, name: string) {
		return page.getByRole('row').filter({ has: page.getByRole('rowheader', { name }) })
	}

	it('creates a key, shows it once, and revokes it so the API refuses it', async () => {
		const page = await signIn('Ada Lovelace')
		const key = await createKey(page, 'CI deploy', ['reports:read'], 5)
		const reveal = page.getByRole('region', { name: 'Your new API key' })
		await poll(() => reveal.textContent()).toContain('it will not be shown again')
		await page.screenshot({ path: `${ARTIFACTS}01-key-created.png`, fullPage: true })

		await page.getByRole('button', { name: 'Copy' }).click()
		await poll(() => page.locator('#copy-status').textContent()).toBe('Copied to the clipboard.')
		expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(key)

		const hello = await callApi(served.base, key)
		expect(hello).toMatchObject({ status: 200, body: { message: 'Hello, ada!' } })
		expect((await callApi(served.base, key, '/api/reports')).status).toBe(200)

		await page.getByRole('button', { name: 'I have saved it, hide the key' }).click()
		expect(await page.locator('#new-key').inputValue()).toBe('')
		expect(await page.content()).not.toContain(key)
		// Usage and last use show up in the list.
		await poll(async () => {
			await page.getByRole('button', { name: 'Refresh' }).click()
			return row(page, 'CI deploy').textContent()
		}).toMatch(/2 of 5 \(40%\).*/)
		await poll(async () => {
			await page.getByRole('button', { name: 'Refresh' }).click()
			return row(page, 'CI deploy').getByRole('cell').nth(3).textContent()
		}).not.toBe('never')
		const text = await row(page, 'CI deploy').textContent()
		expect(text).toContain('reports:read')
		expect(text).toContain('in 30 days')
		expect(text).toContain('Active')
		await page.screenshot({ path: `${ARTIFACTS}02-key-used.png`, fullPage: true })

		await page.getByRole('button', { name: 'Revoke CI deploy' }).click()
		const dialog = page.getByRole('dialog', { name: 'Revoke “CI deploy”?' })
		await dialog.waitFor()
		await page.screenshot({ path: `${ARTIFACTS}03-confirm-revoke.png` })
		await dialog.getByRole('button', { name: 'Revoke key' }).click()
		await poll(() => row(page, 'CI deploy').textContent()).toContain('Revoked')
		expect(
			await row(page, 'CI deploy')
				.getByRole('button', { name: /Revoke|Rotate/ })
				.count(),
		).toBe(0)

		const refused = await callApi(served.base, key)
		expect(refused).toEqual({ status: 401, body: { detail: 'API key has been revoked', code: 'revoked' } })
		await page.screenshot({ path: `${ARTIFACTS}04-key-revoked.png`, fullPage: true })
	})

	it("signs the page's API calls in through the login with a new key: a cookie, never the key", async () => {
		const page = await signIn('Ada Lovelace')
		const key = await createKey(page, 'Browser', ['reports:read'], 5)
		const info = (await served.keyward.listKeys({ owner: 'ada' })).find((k) => k.name === 'Browser')
		const keyId = info?.id ?? ''
		await page.getByRole('button', { name: 'Use this key for this page’s API calls' }).click()
		await poll(() => page.locator('#api-session').textContent()).toContain(`as key ${keyId}`)
		const cookie = (await page.context().cookies(`${served.base}/api/`)).find((c) => c.name === 'kw_session')
		expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/api', secure: false })
		expect(cookie?.value).toMatch(/^kws_\w{38}$/)
		const login = served.requests.filter((r) => r.url === '/api/login')
		expect(login.map((r) => [r.method, r.keyHeader])).toEqual([['POST', false]])

		// The key leaves the page; its API calls go on with the cookie alone, counted against the key.
		await page.getByRole('button', { name: 'I have saved it, hide the key' }).click()
		const before = served.requests.length
		await page.getByRole('button', { name: 'Call GET /api/hello' }).click()
		await poll(() => page.locator('#try-output').textContent()).toContain('GET /api/hello: 200')
		expect(await page.locator('#try-output').textContent()).toContain('Hello, ada!')
		await page.getByRole('button', { name: 'Call GET /api/reports' }).click()
		await poll(() => page.locator('#try-output').textContent()).toContain('GET /api/reports: 200')
		const calls = served.requests.slice(before).filter((r) => r.url.startsWith('/api/'))
		expect(calls.map((r) => [r.url, r.apiSession, r.keyHeader])).toEqual([
			['/api/hello', true, false],
			['/api/reports', true, false],
		])
		expect((await served.keyward.usage(keyId)).used).toBe(2)
		expect(await page.content()).not.toContain(key)
		await page.screenshot({ path: `${ARTIFACTS}11-api-session.png`, fullPage: true })

		// Revoking the key in the page ends its session: the next call is refused and the cookie dropped.
		await page.getByRole('button', { name: 'Revoke Browser' }).click()
		await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click()
		await poll(() => row(page, 'Browser').textContent()).toContain('Revoked')
		await page.getByRole('button', { name: 'Call GET /api/hello' }).click()
		await poll(() => page.locator('#try-output').textContent()).toContain('GET /api/hello: 401')
		expect(await page.locator('#try-output').textContent()).toContain('"code": "revoked"')
		expect((await page.context().cookies(`${served.base}/api/`)).map((c) => c.name)).not.toContain(
			'kw_session',
		)
		expect(await page.locator('#api-session').textContent()).toContain('not signed in to the API')
	})

	it('ends the API session from the page and on sign-out: a copy of the cookie is refused', async () => {
		const page = await signIn('Ada Lovelace')
		await createKey(page, 'Session end', [], 5)
		const use = page.getByRole('button', { name: 'Use this key for this page’s API calls' })
		const captured = async () =>
			(await page.context().cookies(`${served.base}/api/`)).find((c) => c.name === 'kw_session')?.value ?? ''
		const replay = async (value: string) =>
			(await fetch(`${served.base}/api/hello`, { headers: { cookie: `kw_session=${value}` } })).status

		await use.click()
		await poll(captured).toMatch(/^kws_/)
		const first = await captured()
		expect(await replay(first)).toBe(200)
		await page.getByRole('button', { name: 'End the API session' }).click()
		await poll(() => page.locator('#api-session').textContent()).toContain('not signed in to the API')
		expect(await captured()).toBe('')
		expect(await replay(first)).toBe(401)
		await page.getByRole('button', { name: 'Call GET /api/hello' }).click()
		await poll(() => page.locator('#try-output').textContent()).toContain('GET /api/hello: 401')

		await use.click()
		await poll(captured).toMatch(/^kws_/)
		const second = await captured()
		await page.getByRole('button', { name: 'Sign out' }).click()
		await page.getByRole('button', { name: 'Sign in as Ada Lovelace' }).waitFor()
		expect(await captured()).toBe('')
		expect(await replay(second)).toBe(401)
	})

	it('rotates a key (the new key is shown once) and deletes one, from the keyboard too', async () => {
		const page = await signIn('Ada Lovelace')
		const old = await createKey(page, 'Nightly export', [], 100)
		await page.getByRole('button', { name: 'Rotate Nightly export' }).click()
		const dialog = page.getByRole('dialog', { name: 'Rotate “Nightly export”?' })
		await dialog.getByLabel('The old key keeps working for').selectOption('0')
		await dialog.getByRole('button', { name: 'Rotate key' }).click()
		await page.getByRole('heading', { name: 'Your rotated API key' }).waitFor()
		const rotated = await page.locator('#new-key').inputValue()
		expect(rotated).toMatch(served.keyward.keyPattern)
		expect(rotated).not.toBe(old)
		expect((await callApi(served.base, old)).status).toBe(401)
		expect((await callApi(served.base, rotated)).status).toBe(200)
		await page.screenshot({ path: `${ARTIFACTS}05-key-rotated.png`, fullPage: true })

		// Delete with the keyboard only: focus the button, Enter, then Enter on the dialog's action.
		const before = await page.locator('#keys-body tr').count()
		await page.getByRole('button', { name: 'Delete Nightly export' }).first().focus()
		await page.keyboard.press('Enter')
		const confirm = page.getByRole('dialog', { name: 'Delete “Nightly export”?' })
		await confirm.waitFor()
		await page.keyboard.press('Tab') // Cancel has focus first; Tab reaches the action
		await page.keyboard.press('Enter')
		await poll(() => page.locator('#keys-body tr').count()).toBe(before - 1)
		expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('keys-title')
	})

	it("never shows one user's keys to another, and revoke-all stays within the user", async () => {
		const ada = await signIn('Ada Lovelace')
		const adaKeys = await served.keyward.listKeys({ owner: 'ada' })
		expect(adaKeys.length).toBeGreaterThan(0)

		const grace = await signIn('Grace Hopper')
		await grace.getByText('You have no API keys yet.').waitFor()
		const graceKey = await createKey(grace, 'Grace laptop', ['billing:read'], 10)
		const html = await grace.content()
		const list = await grace.locator('#keys-body').textContent()
		for (const info of adaKeys) {
			expect(html).not.toContain(info.id)
			expect(list).not.toContain(info.name)
		}
		expect(await grace.locator('#keys-body tr').count()).toBe(1)
		await grace.screenshot({ path: `${ARTIFACTS}06-grace-sees-only-hers.png`, fullPage: true })

		await grace.getByRole('button', { name: 'Revoke all' }).click()
		await grace.getByRole('dialog').getByRole('button', { name: 'Revoke all keys' }).click()
		await poll(() => row(grace, 'Grace laptop').textContent()).toContain('Revoked')
		expect((await callApi(served.base, graceKey)).status).toBe(401)

		await ada.getByRole('button', { name: 'Refresh' }).click()
		const adaHtml = await ada.content()
		expect(adaHtml).not.toContain('Grace laptop')
		expect(await ada.locator('#keys-body tr').count()).toBe(adaKeys.length)
	})

	it('signing out ends the session on the server: the old cookie, replayed, is refused', async () => {
		const page = await signIn('Ada Lovelace')
		const captured = (await page.context().cookies(served.base)).find(
			(cookie) => cookie.name === 'dashboard_session',
		)
		expect(captured).toMatchObject({ httpOnly: true, sameSite: 'Strict' })
		const value = captured?.value ?? ''
		const fromNode = () =>
			fetch(`${served.base}/account/keys`, { headers: { cookie: `dashboard_session=${value}` } })
		expect((await fromNode()).status).toBe(200)

		await page.getByRole('button', { name: 'Sign out' }).click()
		await page.getByRole('button', { name: 'Sign in as Ada Lovelace' }).waitFor()
		const left = await page.context().cookies(served.base)
		expect(left.map((cookie) => cookie.name)).not.toContain('dashboard_session')

		// The captured value, replayed from Node, is refused.
		const replayed = await fromNode()
		expect(replayed.status).toBe(401)
		expect(await replayed.json()).toEqual({ detail: 'Not authenticated', code: 'missing' })

		// Set by hand in a fresh browser: the page offers the sign-in, and the page's own requests fail.
		const context = await browser.newContext()
		contexts.push(context)
		await context.addCookies([
			{ name: 'dashboard_session', value, url: served.base, httpOnly: true, sameSite: 'Strict' },
		])
		const stolen = await context.newPage()
		await stolen.goto(served.base)
		await stolen.locator('body[data-ready="true"]').waitFor({ state: 'attached' })
		expect(await stolen.getByRole('button', { name: 'Sign in as Ada Lovelace' }).isVisible()).toBe(true)
		expect(await stolen.getByRole('heading', { name: 'Your API keys' }).isVisible()).toBe(false)
		expect(await stolen.evaluate<number>("fetch('/account/keys').then((response) => response.status)")).toBe(
			401,
		)
		await stolen.screenshot({ path: `${ARTIFACTS}09-old-cookie-refused.png`, fullPage: true })
	})

	it("shows the account's shared monthly limit above the keys, and what the keys used of it", async () => {
		const page = await signIn('Ada Lovelace')
		const key = await createKey(page, 'Shared', ['reports:read'], 100)
		const account = page.locator('#account')
		await account.waitFor()
		// Earlier tests used Ada's keys too: the account counts all of them.
		const used = async () =>
			Number(/([\d,]+) of 10,000/.exec((await account.textContent()) ?? '')?.[1]?.replace(',', ''))
		const before = await used()
		expect(before).toBeGreaterThanOrEqual(0)
		expect((await callApi(served.base, key)).status).toBe(200)
		await page.getByRole('button', { name: 'Refresh' }).click()
		await poll(used).toBe(before + 1)
		await page.screenshot({ path: `${ARTIFACTS}10-account-limit.png`, fullPage: true })
		const grace = await signIn('Grace Hopper')
		await grace.locator('body[data-ready="true"]').waitFor({ state: 'attached' })
		expect(await grace.locator('#account').isVisible()).toBe(false)
	})

	it('draws 30 days of requests for the account and for each key, with a table for screen readers', async () => {
		// A dashboard of its own: the counts below are this test's alone.
		const own = await serve()
		try {
			const page = await signIn('Grace Hopper', own)
			const problems: string[] = []
			page.on('console', (message) => {
				if (message.type() === 'error') problems.push(message.text())
			})
			const summary = page.locator('#history-summary')
			await poll(() => summary.textContent()).toBe('All your keys: no requests in the last 30 days.')
			expect(await page.locator('#history-chart svg g.day').count()).toBe(30)

			const charted = await createKey(page, 'Charted', ['reports:read'], 100)
			await page.getByRole('button', { name: 'I have saved it, hide the key' }).click()
			const capped = await createKey(page, 'Capped', [], 1)
			await page.getByRole('button', { name: 'I have saved it, hide the key' }).click()
			for (let i = 0; i < 3; i++) expect((await callApi(own.base, charted)).status).toBe(200)
			// A monthly quota of one: the next two are refused (429).
			const statuses = []
			for (let i = 0; i < 3; i++) statuses.push((await callApi(own.base, capped)).status)
			expect(statuses).toEqual([200, 429, 429])

			await page.getByRole('button', { name: 'Refresh' }).click()
			await poll(() => summary.textContent()).toBe(
				'All your keys: 6 requests in the last 30 days, 4 passed, 2 refused.',
			)
			// The same numbers as text, day by day, for screen readers (the chart itself is hidden from them).
			const table = page.getByRole('table', { name: 'All your keys, requests per day (UTC)' })
			const rows = table.locator('tbody tr')
			expect(await rows.count()).toBe(30)
			const cells = await rows.evaluateAll((trs) =>
				trs.map((tr) => [...tr.children].map((cell) => cell.textContent ?? '')),
			)
			expect(cells.every(([day]) => /^\d{4}-\d\d-\d\d$/.test(day as string))).toBe(true)
			const sums = [1, 2, 3].map((column) => cells.reduce((sum, row) => sum + Number(row[column]), 0))
			expect(sums).toEqual([6, 4, 2])
			expect(await page.locator('#history-chart svg').getAttribute('aria-hidden')).toBe('true')
			await page.locator('#history-title').scrollIntoViewIfNeeded()
			await page.screenshot({ path: `${ARTIFACTS}11-requests-account.png`, fullPage: true })

			// One key, from its row: the chart follows, and focus moves to it.
			await page.getByRole('button', { name: 'Show the requests of Charted' }).click()
			await poll(() => summary.textContent()).toMatch(
				/^Charted \(\w{12}\): 3 requests in the last 30 days, 3 passed, 0 refused\.$/,
			)
			expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('history-title')
			expect(await page.locator('#history-chart rect.bar-refused[height="0"]').count()).toBe(30)
			const cappedId = (await own.keyward.listKeys({ owner: 'grace' })).find((k) => k.name === 'Capped')?.id
			await page.getByLabel('Show', { exact: true }).selectOption(cappedId as string)
			await poll(() => summary.textContent()).toMatch(
				/: 3 requests in the last 30 days, 1 passed, 2 refused\.$/,
			)
			expect(await page.locator('#history-chart rect.bar-refused:not([height="0"])').count()).toBeGreaterThan(
				0,
			)
			await page.locator('#history-title').scrollIntoViewIfNeeded()
			await page.screenshot({ path: `${ARTIFACTS}12-requests-key.png`, fullPage: true })
			expect(problems).toEqual([])
		} finally {
			await own.close()
		}
	})

	it('a page of another origin changes no key: cross-site form and no-cors fetch', async () => {
		const page = await signIn('Ada Lovelace')
		await createKey(page, 'Kept', ['reports:read'], 5)
		const before = await served.keyward.listKeys({ owner: 'ada' })
		const target = served.base
		// The attacker's page: two no-cors fetches (text/plain, as a page may send without asking),
		// then a form posted as text/plain, the way CSRF pages do it.
		const attack = `<!doctype html><body><form id="f" method="POST" enctype="text/plain"
			action="${target}/account/keys/revoke-all"><input name="x" value="y"></form><script>
			Promise.allSettled([
				fetch('${target}/account/keys/revoke-all', { method: 'POST', mode: 'no-cors', credentials: 'include', body: '' }),
				fetch('${target}/account/keys', { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{"name":"evil"}' }),
			]).then(() => document.getElementById('f').submit())
		</script></body>`
		const evil = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(attack))
		await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve))
		try {
			const { port } = evil.address() as AddressInfo
			// 127.0.0.1 on another port is the same site (the SameSite=Strict cookie goes along) but
			// another origin; localhost is another site altogether.
			for (const attacker of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
				const seen = served.requests.length
				const tab = await page.context().newPage()
				await tab.goto(attacker)
				await tab.waitForURL(`${target}/account/keys/revoke-all`)
				await tab.close()
				const posts = served.requests.slice(seen).filter((r) => r.method === 'POST')
				expect(posts.map((r) => r.url).sort()).toEqual([
					'/account/keys',
					'/account/keys/revoke-all',
					'/account/keys/revoke-all',
				])
				// From the same site the browser sent the sign-in: the router itself refused the change.
				if (attacker.includes('127.0.0.1')) expect(posts.every((r) => r.signedIn)).toBe(true)
			}
		} finally {
			evil.closeAllConnections()
			await new Promise((resolve) => evil.close(resolve))
		}
		expect(await served.keyward.listKeys({ owner: 'ada' })).toEqual(before)
		await page.getByRole('button', { name: 'Refresh' }).click()
		await poll(() => row(page, 'Kept').textContent()).not.toContain('revoked')
	})

	it('explains errors in words', async () => {
		const page = await signIn('Grace Hopper')
		await page.getByLabel('Name', { exact: true }).fill('')
		await page.getByRole('button', { name: 'Generate API key' }).click()
		await poll(() => page.getByRole('alert').textContent()).toContain('Give the key a name.')
		expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('key-name')

		await page.getByLabel('Name', { exact: true }).fill('Too big')
		await page.getByLabel('Monthly request quota').fill('0')
		await page.getByRole('button', { name: 'Generate API key' }).click()
		await poll(() => page.getByRole('alert').textContent()).toContain('The monthly quota must be')
		await page.screenshot({ path: `${ARTIFACTS}07-form-error.png`, fullPage: true })

		// The sign-in ends (cookie gone): the next request says so and offers the sign-in again.
		await page.context().clearCookies()
		await page.getByRole('button', { name: 'Refresh' }).click()
		await poll(() => page.getByRole('alert').textContent()).toContain(
			'Your sign-in has ended. Please sign in again.',
		)
		await page.getByRole('button', { name: 'Sign in as Ada Lovelace' }).waitFor()
		await page.screenshot({ path: `${ARTIFACTS}08-signed-out.png`, fullPage: true })
	})
})
