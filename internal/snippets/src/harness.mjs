// Runs one compiled snippet the way a reader would, then ends it: `node harness.mjs snippet.js`.
// A snippet that starts a server gets a free port instead of the one it names (snippets run side by
// side, and a fixed port may be taken), must answer one request, and is then stopped. The exit
// status is the snippet's own (`process.exitCode`), or 1 when it threw.
import { once } from 'node:events'
import { request } from 'node:http'
import net from 'node:net'
import { pathToFileURL } from 'node:url'

const servers = []
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function listenOnAFreePort(...args) {
	const [first] = args
	if (typeof first === 'number' || typeof first === 'string') args[0] = 0
	else if (typeof first === 'object' && first !== null && 'port' in first) args[0] = { ...first, port: 0 }
	servers.push(this)
	return listen.apply(this, args)
}

function answers(port) {
	return new Promise((resolve, reject) => {
		const req = request({ host: '127.0.0.1', port, path: '/' }, (res) => {
			res.resume()
			res.on('end', () => resolve(res.statusCode))
		})
		req.on('error', reject)
		req.end()
	})
}

await import(pathToFileURL(process.argv[2]).href)
for (const server of servers) {
	if (!server.listening) await once(server, 'listening')
	const status = await answers(server.address().port)
	process.stdout.write(`[harness] the server answered ${status}\n`)
}
process.exit(process.exitCode ?? 0)
