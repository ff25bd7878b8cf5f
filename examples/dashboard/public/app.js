// The key dashboard page: plain DOM, no framework, no network access beyond this site.
// Everything from the server is written with textContent, never as HTML.

const $ = (id) => {
	const element = document.getElementById(id)
	if (element === null) throw new Error(`#${id} is missing from the page`)
	return element
}

const LIFETIMES = [
	{ value: '7d', label: '7 days', ms: 7 * 86_400_000 },
	{ value: '30d', label: '30 days', ms: 30 * 86_400_000 },
	{ value: '90d', label: '90 days', ms: 90 * 86_400_000 },
	{ value: '365d', label: '1 year', ms: 365 * 86_400_000 },
]

/** What an error code means, in words; the server's detail is used for the rest. */
const MESSAGES = {
	network: 'Could not reach the server. Check your connection and try again.',
	missing: 'Your sign-in has ended. Please sign in again.',
	unavailable: 'The key store cannot be reached right now. Nothing was changed; try again in a moment.',
	key_not_found: 'That key no longer exists. The list has been refreshed.',
	key_not_active: 'Only an active key can be rotated. This one is revoked or expired.',
	scope_not_allowed: 'You asked for a scope you are not allowed to grant.',
	too_many_keys: 'You have reached the maximum number of active keys. Revoke or delete one first.',
	cross_site_request: 'The request was refused because it did not come from this page. Reload the page.',
	internal: 'Something went wrong on the server. Please try again.',
}

const numbers = new Intl.NumberFormat('en')
const utcDays = new Intl.DateTimeFormat('en', { month: 'short', day: 'numeric', timeZone: 'UTC' })
const SVG = 'http://www.w3.org/2000/svg'
const dates = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' })
const relativeTime = new Intl.RelativeTimeFormat('en', { numeric: 'auto' })
// Days rather than weeks or months, so "in 30 days" reads exactly as the lifetime chosen.
const UNITS = [
	['year', 31_536_000],
	['day', 86_400],
	['hour', 3_600],
	['minute', 60],
]

class RequestError extends Error {
	constructor(code, message) {
		super(message)
		this.code = code
	}
}

let settings = null
let user = null
/** The key this page's API calls are signed in with (`{ keyId, expiresAt }`), if any. */
let apiSession = null
/** Whose history the chart shows: '' for the whole account, else a key id. */
let historyOf = ''

/** Call the dashboard's server; resolves with the JSON body, or throws a RequestError in words. */
async function request(method, path, body) {
	const headers = { 'x-keyward-dashboard': '1', accept: 'application/json' }
	// Changes are sent as JSON, which a page of another site cannot make a browser send.
	const sent = method === 'POST' ? JSON.stringify(body ?? {}) : undefined
	if (sent !== undefined) headers['content-type'] = 'application/json'
	let response
	try {
		response = await fetch(path, {
			method,
			headers,
			body: sent,
			credentials: 'same-origin',
			cache: 'no-store',
		})
	} catch {
		throw new RequestError('network', MESSAGES.network)
	}
	if (response.status === 204) return null
	const data = await response.json().catch(() => null)
	if (response.ok) return data
	const code = typeof data?.code === 'string' ? data.code : `http_${response.status}`
	const detail = typeof data?.detail === 'string' ? data.detail : `The server answered ${response.status}.`
	throw new RequestError(code, MESSAGES[code] ?? `${detail}.`.replace(/\.\.$/, '.'))
}

function showError(error) {
	const message = error instanceof RequestError ? error.message : 'Something went wrong in this page.'
	if (!(error instanceof RequestError)) console.error(error)
	$('error-text').textContent = message
	$('error').hidden = false
	if (error instanceof RequestError && error.code === 'missing') showSignIn()
}

function clearError() {
	$('error').hidden = true
	$('error-text').textContent = ''
}

function announce(text) {
	$('announce').textContent = text
}

/** Run `work` with `button` disabled, showing any failure in words. */
async function busy(button, work) {
	clearError()
	button.disabled = true
	try {
		await work()
	} catch (error) {
		showError(error)
		// The list was out of date (another tab, another device): show what is true now.
		if (error.code === 'key_not_found' || error.code === 'key_not_active') refreshKeys().catch(showError)
	} finally {
		button.disabled = false
	}
}

function element(tag, options = {}, children = []) {
	const node = document.createElement(tag)
	for (const [name, value] of Object.entries(options)) {
		if (name === 'text') node.textContent = value
		else if (name === 'className') node.className = value
		else node.setAttribute(name, value)
	}
	node.append(...children)
	return node
}

function timeCell(iso, never) {
	if (iso === null) return element('span', { className: 'muted', text: never })
	const date = new Date(iso)
	const seconds = (date.getTime() - Date.now()) / 1000
	const unit = UNITS.find(([, size]) => Math.abs(seconds) >= size)
	const text = unit === undefined ? 'just now' : relativeTime.format(Math.round(seconds / unit[1]), unit[0])
	return element('time', { datetime: date.toISOString(), title: dates.format(date), text })
}

const STATUS_TEXT = { active: 'Active', revoked: 'Revoked', expired: 'Expired' }

function statusOf(key) {
	if (key.revokedAt !== null) return 'revoked'
	if (key.expiresAt !== null && new Date(key.expiresAt).getTime() <= Date.now()) return 'expired'
	return 'active'
}

function usageCell(usage, quota) {
	if (usage === undefined) return element('span', { className: 'muted', text: 'unknown' })
	if (quota === null) return element('span', { text: `${numbers.format(usage.used)} (no limit)` })
	const share = quota === 0 ? 1 : Math.min(1, usage.used / quota)
	const fill = element('span', { className: 'bar-fill' })
	fill.style.width = `${(share * 100).toFixed(1)}%`
	const level = share >= 1 ? 'full' : share >= 0.8 ? 'high' : 'ok'
	return element('div', { className: `usage usage-${level}` }, [
		element('span', { className: 'bar', 'aria-hidden': 'true' }, [fill]),
		element('span', {
			text: `${numbers.format(usage.used)} of ${numbers.format(quota)} (${Math.floor(share * 100)}%)`,
		}),
	])
}

function keyRow(key, usage) {
	const status = statusOf(key)
	const label = key.name ?? key.id
	const actions = element('div', { className: 'buttons row-actions' })
	if (status === 'active') {
		const rotate = element('button', { type: 'button', text: 'Rotate', 'aria-label': `Rotate ${label}` })
		rotate.addEventListener('click', () => rotateKey(rotate, key))
		const revoke = element('button', {
			type: 'button',
			className: 'danger',
			text: 'Revoke',
			'aria-label': `Revoke ${label}`,
		})
		revoke.addEventListener('click', () => revokeKey(revoke, key))
		actions.append(rotate, revoke)
	}
	const remove = element('button', {
		type: 'button',
		className: 'danger-quiet',
		text: 'Delete',
		'aria-label': `Delete ${label}`,
	})
	remove.addEventListener('click', () => deleteKey(remove, key))
	const chart = element('button', {
		type: 'button',
		className: 'quiet',
		text: 'Chart',
		'aria-label': `Show the requests of ${label}`,
	})
	chart.addEventListener('click', () => busy(chart, () => showHistoryOf(key.id)))
	actions.append(remove, chart)

	const scopes =
		key.scopes.length === 0
			? element('span', { className: 'muted', text: 'none' })
			: element(
					'ul',
					{ className: 'scopes' },
					key.scopes.map((scope) => element('li', {}, [element('code', { text: scope })])),
				)
	return element('tr', { 'data-key-id': key.id, className: `status-${status}` }, [
		element('th', { scope: 'row' }, [
			element('span', { className: 'key-name', text: key.name ?? 'Unnamed key' }),
			element('code', { className: 'key-id', text: key.id }),
			// The key's first characters, so its holder can tell which row is theirs.
			...(key.hint
				? [element('code', { className: 'key-hint', title: 'starts with', text: `${key.hint}…` })]
				: []),
		]),
		element('td', {}, [scopes]),
		element('td', {}, [element('span', { className: `badge badge-${status}`, text: STATUS_TEXT[status] })]),
		element('td', {}, [timeCell(key.expiresAt, 'never')]),
		element('td', {}, [timeCell(key.lastUsedAt, 'never')]),
		element('td', {}, [usageCell(usage, key.monthlyQuota)]),
		element('td', {}, [actions]),
	])
}

/** The account's shared monthly limit, above the keys, when the account has one. */
function showAccount(account) {
	const limited = account !== null && account.monthlyQuota !== null && account.usage !== null
	$('account').hidden = !limited
	if (limited) $('account-usage').replaceChildren(usageCell(account.usage, account.monthlyQuota))
}

async function refreshKeys() {
	const [{ keys, account }, { usage }] = await Promise.all([
		request('GET', '/account/keys'),
		request('GET', '/account/usage'),
	])
	showAccount(account ?? null)
	$('keys-body').replaceChildren(...keys.map((key) => keyRow(key, usage[key.id])))
	$('keys-empty').hidden = keys.length > 0
	$('keys-table').hidden = keys.length === 0
	$('revoke-all').disabled = !keys.some((key) => statusOf(key) === 'active')
	historyChoices(keys)
	await refreshHistory()
}

/** The chart's choices: the whole account, then each key by name. */
function historyChoices(keys) {
	if (historyOf !== '' && !keys.some((key) => key.id === historyOf)) historyOf = ''
	$('history-of').replaceChildren(
		element('option', { value: '', text: 'All your keys' }),
		...keys.map((key) =>
			element('option', { value: key.id, text: `${key.name ?? 'Unnamed key'} (${key.id})` }),
		),
	)
	$('history-of').value = historyOf
}

async function refreshHistory() {
	const path =
		historyOf === ''
			? '/account/history?days=30'
			: `/account/keys/${encodeURIComponent(historyOf)}/history?days=30`
	const { history } = await request('GET', path)
	const option = $('history-of').selectedOptions[0]
	drawHistory(history, historyOf === '' ? 'All your keys' : (option?.textContent ?? historyOf))
}

async function showHistoryOf(id) {
	historyOf = id
	$('history-of').value = id
	await refreshHistory()
	$('history-title').focus()
}

function svg(tag, attributes = {}, children = []) {
	const node = document.createElementNS(SVG, tag)
	for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value))
	node.append(...children)
	return node
}

/** The smallest of 1, 2, 5 times a power of ten at or above `n`: the top of the scale. */
function scaleTop(n) {
	if (n <= 1) return 1
	const power = 10 ** Math.floor(Math.log10(n))
	return [1, 2, 5, 10].map((m) => m * power).find((top) => top >= n)
}

/** Requests per day as stacked bars (passed below, refused above), drawn as inline SVG. */
function drawHistory(history, label) {
	const width = 720
	const height = 220
	const left = 56
	const right = 8
	const top = 12
	const bottom = 196
	const buckets = history.buckets
	const max = scaleTop(Math.max(0, ...buckets.map((b) => b.requests)))
	const y = (count) => bottom - (count / max) * (bottom - top)
	const step = (width - left - right) / buckets.length
	const barWidth = Math.max(2, step * 0.7)
	const parts = [0, max / 2, max]
		.filter((tick) => Number.isInteger(tick))
		.flatMap((tick) => [
			svg('line', { x1: left, x2: width - right, y1: y(tick), y2: y(tick), class: 'grid' }),
			svg('text', { x: left - 6, y: y(tick) + 4, class: 'tick', 'text-anchor': 'end' }, [
				numbers.format(tick),
			]),
		])
	buckets.forEach((bucket, i) => {
		const x = left + i * step + (step - barWidth) / 2
		const day = utcDays.format(new Date(bucket.start))
		// Any request shows as at least a sliver.
		const tall = (count) => (count === 0 ? 0 : Math.max(1.5, bottom - y(count)))
		const okHeight = tall(bucket.ok)
		const refusedHeight = tall(bucket.refused)
		const title = `${day}: ${numbers.format(bucket.requests)} requests, ${numbers.format(bucket.refused)} refused`
		parts.push(
			svg('g', { class: 'day' }, [
				svg('title', {}, [title]),
				svg('rect', { x, y: bottom - okHeight, width: barWidth, height: okHeight, class: 'bar-ok' }),
				svg('rect', {
					x,
					y: bottom - okHeight - refusedHeight,
					width: barWidth,
					height: refusedHeight,
					class: 'bar-refused',
				}),
			]),
		)
		if ((buckets.length - 1 - i) % 7 === 0) {
			// The newest day's label ends at its bar, so that it stays inside the chart.
			const last = i === buckets.length - 1
			const at = { x: last ? x + barWidth : x + barWidth / 2, y: height - 6 }
			parts.push(svg('text', { ...at, class: 'tick', 'text-anchor': last ? 'end' : 'middle' }, [day]))
		}
	})
	parts.push(svg('line', { x1: left, x2: width - right, y1: bottom, y2: bottom, class: 'axis' }))
	$('history-chart').replaceChildren(
		svg('svg', { viewBox: `0 0 ${width} ${height}`, 'aria-hidden': 'true', focusable: 'false' }, parts),
	)
	const { total } = history
	const summary =
		total.requests === 0
			? `${label}: no requests in the last ${buckets.length} days.`
			: `${label}: ${numbers.format(total.requests)} requests in the last ${buckets.length} days, ` +
				`${numbers.format(total.ok)} passed, ${numbers.format(total.refused)} refused.`
	$('history-summary').textContent = summary
	$('history-caption').textContent = `${label}, requests per day (UTC)`
	$('history-body').replaceChildren(
		...buckets.map((bucket) =>
			element('tr', {}, [
				element('th', { scope: 'row', text: bucket.start.slice(0, 10) }),
				element('td', { text: numbers.format(bucket.requests) }),
				element('td', { text: numbers.format(bucket.ok) }),
				element('td', { text: numbers.format(bucket.refused) }),
			]),
		),
	)
}

const API_SESSION_NONE =
	'This page is not signed in to the API. Generate a key, then choose “Use this key for this page’s API calls”: the page logs in with the key once and calls the API with a session cookie from then on, never with the key.'

function showApiSession() {
	$('api-session').textContent =
		apiSession === null
			? API_SESSION_NONE
			: `This page calls the API as key ${apiSession.keyId}, with a session cookie, until ${dates.format(new Date(apiSession.expiresAt))}.`
	$('api-logout').disabled = apiSession === null
}

/** Log the page's API calls in with the key on display: the key goes to the server once, in this request. */
function useKeyForApi(button) {
	return busy(button, async () => {
		const answer = await request('POST', '/api/login', { api_key: $('new-key').value, username: user.id })
		apiSession = { keyId: answer.keyId, expiresAt: answer.expiresAt }
		showApiSession()
		announce(`This page now calls the API with key ${answer.keyId}.`)
		$('try-title').scrollIntoView({ block: 'nearest' })
	})
}

/** Call the API as the page is signed in to it (the session cookie, no key) and show the answer as it came. */
function tryApi(button, path) {
	return busy(button, async () => {
		let text
		try {
			const response = await fetch(path, {
				headers: { accept: 'application/json' },
				credentials: 'same-origin',
				cache: 'no-store',
			})
			const body = await response.json().catch(() => null)
			text = `GET ${path}: ${response.status}\n${JSON.stringify(body, null, 2)}`
			// A 401 means the session is over (ended, expired, or its key revoked): the server dropped the cookie.
			if (response.status === 401) {
				apiSession = null
				showApiSession()
			}
		} catch {
			throw new RequestError('network', MESSAGES.network)
		}
		$('try-output').textContent = text
		$('try-output').hidden = false
		announce(text.split('\n')[0])
	})
}

async function endApiSession() {
	await request('POST', '/api/logout')
	apiSession = null
	showApiSession()
}

function revealKey(key, info, title) {
	$('reveal-title').textContent = title
	$('new-key-label').textContent = `(id ${info.id}${info.name ? `, “${info.name}”` : ''})`
	$('new-key').value = key
	$('copy-status').textContent = ''
	$('reveal').hidden = false
	$('reveal-title').focus()
}

function hideKey() {
	$('new-key').value = ''
	$('reveal').hidden = true
	$('keys-title').focus()
}

async function copyKey() {
	const input = $('new-key')
	try {
		await navigator.clipboard.writeText(input.value)
		$('copy-status').textContent = 'Copied to the clipboard.'
	} catch {
		input.focus()
		input.select()
		$('copy-status').textContent = 'Copying is blocked here: the key is selected, press Ctrl+C (⌘C on a Mac).'
	}
}

/** Ask in a modal dialog; resolves `{ ok, graceMs }`. Escape or Cancel answers `ok: false`. */
function confirmAction({ title, text, action, grace = false }) {
	const dialog = $('confirm')
	$('confirm-title').textContent = title
	$('confirm-text').textContent = text
	$('confirm-ok').textContent = action
	$('grace-field').hidden = !grace
	$('grace').value = '0'
	return new Promise((resolve) => {
		const finish = (ok) => {
			$('confirm-ok').removeEventListener('click', onOk)
			$('confirm-cancel').removeEventListener('click', onCancel)
			dialog.removeEventListener('close', onClose)
			if (dialog.open) dialog.close()
			resolve({ ok, graceMs: Number($('grace').value) })
		}
		const onOk = () => finish(true)
		const onCancel = () => finish(false)
		const onClose = () => finish(false)
		$('confirm-ok').addEventListener('click', onOk)
		$('confirm-cancel').addEventListener('click', onCancel)
		dialog.addEventListener('close', onClose)
		dialog.showModal()
		$('confirm-cancel').focus()
	})
}

/** Show the list as it is now, say what happened, and put focus back on the list. */
async function afterChange(message) {
	await refreshKeys()
	announce(message)
	$('keys-title').focus()
}

function nameOf(key) {
	return `“${key.name ?? key.id}”`
}

function revokeKey(button, key) {
	return busy(button, async () => {
		const answer = await confirmAction({
			title: `Revoke ${nameOf(key)}?`,
			text: 'Programs using this key get 401 Unauthorized from now on. It stays in the list, marked revoked. This cannot be undone.',
			action: 'Revoke key',
		})
		if (!answer.ok) return
		await request('POST', `/account/keys/${encodeURIComponent(key.id)}/revoke`)
		await afterChange(`Key ${nameOf(key)} revoked.`)
	})
}

function deleteKey(button, key) {
	return busy(button, async () => {
		const answer = await confirmAction({
			title: `Delete ${nameOf(key)}?`,
			text: 'The key stops working and disappears from this list. This cannot be undone.',
			action: 'Delete key',
		})
		if (!answer.ok) return
		await request('DELETE', `/account/keys/${encodeURIComponent(key.id)}`)
		await afterChange(`Key ${nameOf(key)} deleted.`)
	})
}

function rotateKey(button, key) {
	return busy(button, async () => {
		const answer = await confirmAction({
			title: `Rotate ${nameOf(key)}?`,
			text: 'You get a new key with the same scopes, quota and usage this month. Put it in your programs, then the old key stops working.',
			action: 'Rotate key',
			grace: true,
		})
		if (!answer.ok) return
		const path = `/account/keys/${encodeURIComponent(key.id)}/rotate`
		const rotated = await request('POST', path, { graceMs: answer.graceMs })
		await afterChange(`Key ${nameOf(key)} rotated.`)
		revealKey(rotated.key, rotated.info, 'Your rotated API key')
	})
}

function revokeAll(button) {
	return busy(button, async () => {
		const answer = await confirmAction({
			title: 'Revoke all your keys?',
			text: 'Every active key stops working at once. Use this if you think a key has leaked. This cannot be undone.',
			action: 'Revoke all keys',
		})
		if (!answer.ok) return
		const { revoked } = await request('POST', '/account/keys/revoke-all')
		await afterChange(`${revoked} ${revoked === 1 ? 'key' : 'keys'} revoked.`)
	})
}

/** Check the form in the page first, so mistakes are named next to the field. */
function readCreateForm() {
	const name = $('key-name')
	const quota = $('key-quota')
	for (const field of [name, quota]) field.removeAttribute('aria-invalid')
	const quotaValue = Number(quota.value)
	let problem = null
	if (name.value.trim() === '') problem = [name, 'Give the key a name.']
	else if (!Number.isSafeInteger(quotaValue) || quotaValue < 1 || quotaValue > settings.maxQuota) {
		problem = [
			quota,
			`The monthly quota must be a whole number from 1 to ${numbers.format(settings.maxQuota)}.`,
		]
	}
	if (problem !== null) {
		problem[0].setAttribute('aria-invalid', 'true')
		throw Object.assign(new RequestError('invalid_form', problem[1]), { field: problem[0] })
	}
	return {
		name: name.value.trim(),
		scopes: [...document.querySelectorAll('#scope-options input:checked')].map((box) => box.value),
		expiresIn: $('key-lifetime').value,
		monthlyQuota: quotaValue,
	}
}

async function createKey(event) {
	event.preventDefault()
	const submit = event.submitter ?? $('create-form').querySelector('button[type=submit]')
	await busy(submit, async () => {
		let input
		try {
			input = readCreateForm()
		} catch (error) {
			showError(error)
			error.field?.focus()
			return
		}
		const { key, info } = await request('POST', '/account/keys', input)
		$('create-form').reset()
		await refreshKeys()
		announce('Key created.')
		revealKey(key, info, 'Your new API key')
	})
}

function buildForm() {
	$('scope-options').replaceChildren(
		...settings.allowedScopes.map((scope, index) =>
			element('div', { className: 'check' }, [
				element('input', { type: 'checkbox', id: `scope-${index}`, value: scope, name: 'scopes' }),
				element('label', { for: `scope-${index}` }, [element('code', { text: scope })]),
			]),
		),
	)
	const lifetimes = LIFETIMES.filter((lifetime) => lifetime.ms <= settings.maxLifetimeMs)
	$('key-lifetime').replaceChildren(
		...lifetimes.map((lifetime) => {
			const option = element('option', { value: lifetime.value, text: lifetime.label })
			option.defaultSelected = lifetime.value === '90d'
			return option
		}),
	)
	$('key-quota').max = String(settings.maxQuota)
	$('key-quota-hint').textContent =
		`Requests per calendar month (UTC), at most ${numbers.format(settings.maxQuota)}.`
}

function showSignIn() {
	user = null
	$('try-output').hidden = true
	$('try-output').textContent = ''
	historyOf = ''
	$('dashboard').hidden = true
	$('who').hidden = true
	$('sign-in').hidden = false
	$('keys-body').replaceChildren()
	$('new-key').value = ''
	$('reveal').hidden = true
	$('user-buttons').replaceChildren(
		...settings.users.map((candidate) => {
			const button = element('button', {
				type: 'button',
				className: 'primary',
				text: `Sign in as ${candidate.name}`,
			})
			button.addEventListener('click', () =>
				busy(button, async () => {
					// Whoever signs in starts without an API session left in this browser by someone else.
					await endApiSession()
					const answer = await request('POST', '/session', { user: candidate.id })
					await showDashboard(answer.user)
				}),
			)
			return button
		}),
	)
}

async function showDashboard(signedIn) {
	user = signedIn
	$('sign-in').hidden = true
	$('who-name').textContent = user.name
	$('who').hidden = false
	$('dashboard').hidden = false
	showApiSession()
	await refreshKeys()
	$('main').focus()
}

async function start() {
	$('error-dismiss').addEventListener('click', clearError)
	$('create-form').addEventListener('submit', createKey)
	$('copy-key').addEventListener('click', copyKey)
	$('dismiss-key').addEventListener('click', hideKey)
	$('use-key').addEventListener('click', (event) => useKeyForApi(event.currentTarget))
	$('try-hello').addEventListener('click', (event) => tryApi(event.currentTarget, '/api/hello'))
	$('try-reports').addEventListener('click', (event) => tryApi(event.currentTarget, '/api/reports'))
	$('api-logout').addEventListener('click', (event) =>
		busy(event.currentTarget, async () => {
			await endApiSession()
			announce('The API session has ended.')
		}),
	)
	$('refresh').addEventListener('click', (event) => busy(event.currentTarget, refreshKeys))
	$('revoke-all').addEventListener('click', (event) => revokeAll(event.currentTarget))
	const historySelect = $('history-of')
	historySelect.addEventListener('change', () =>
		busy(historySelect, async () => {
			historyOf = historySelect.value
			await refreshHistory()
		}),
	)
	$('sign-out').addEventListener('click', (event) =>
		busy(event.currentTarget, async () => {
			// The API session goes too, so the next person at this browser cannot call the API with it.
			await endApiSession()
			await request('DELETE', '/session')
			showSignIn()
			announce('Signed out.')
		}),
	)
	try {
		settings = await request('GET', '/session')
		buildForm()
		if (settings.user === null) showSignIn()
		else await showDashboard(settings.user)
	} catch (error) {
		showError(error)
	} finally {
		$('loading').hidden = true
		document.body.dataset.ready = 'true'
	}
}

start().catch(showError)
