import type { AddressInfo } from 'node:net'
import { createKeyward, type Keyward, MemoryStore } from '@keyward/core'
import { createDashboardApp, type DashboardOptions } from '../src/app.js'

/** A dashboard on a free local port, with keys in memory. */
export interface Served {
	keyward: Keyward
	base: string
	close(): Promise<void>
}

export async function serve(options: DashboardOptions = {}): Promise<Served> {
	// Last use is written every 50 ms instead of every minute, so the page can show it.
	const keyward = createKeyward({ store: new MemoryStore(), lastUsed: { intervalMs: 50 } })
	const app = createDashboardApp(keyward, options)
	const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
		const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
	})
	const { port } = server.address() as AddressInfo
	return {
		keyward,
		base: `http://127.0.0.1:${port}`,
		async close() {
			server.closeAllConnections()
			await new Promise((resolve) => server.close(resolve))
			await keyward.close()
		},
	}
}
