import type { AddressInfo } from 'node:net'
import { createKeyward, type Keyward, MemoryStore } from '@keyward/core'
import { createDashboardApp, type DashboardOptions, setUpAccounts } from '../src/app.js'

/** A dashboard on a free local port, with keys in memory. */
export interface Served {
	keyward: Keyward
	base: string
	/**
	 * Every request the server received: method, path, whether it carried the sign-in cookie, the
	 * API session cookie, or a key in a header.
	 */
	requests: { method: string; url: string; signedIn: boolean; apiSession: boolean; keyHeader: boolean }[]
	close(): Promise<void>
}

export async function serve(options: DashboardOptions = {}): Promise<Served> {
	// Last use is written every 50 ms instead of every minute, so the page can show it.
	const keyward = createKeyward({ store: new MemoryStore(), lastUsed: { intervalMs: 50 } })
	await setUpAccounts(keyward, options.users)
	const app = createDashboardApp(keyward, options)
	const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
		const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
	})
	const requests: Served['requests'] = []
	server.on('request', (req) => {
		const cookies = req.headers.cookie ?? ''
		const signedIn = cookies.includes('dashboard_session=')
		const apiSession = cookies.includes('kw_session=')
		const keyHeader = req.headers.authorization !== undefined || req.headers['x-api-key'] !== undefined
		// Express rewrites `url` as it routes; `originalUrl` keeps what was asked for.
		const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? ''
		requests.push({ method: req.method ?? '', url, signedIn, apiSession, keyHeader })
	})
	const { port } = server.address() as AddressInfo
	return {
		keyward,
		base: `http://127.0.0.1:${port}`,
		requests,
		async close() {
			server.closeAllConnections()
			await new Promise((resolve) => server.close(resolve))
			await keyward.close()
		},
	}
}
