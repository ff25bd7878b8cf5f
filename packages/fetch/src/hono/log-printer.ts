import type { Keyward } from '@keyward/core'
import { createLogRedactor } from '@keyward/core/adapter'

/**
 * A print function for `hono/logger` that keeps API keys out of its lines. `logger()` copies the
 * URL, query included, when the request comes in and prints that copy twice, so a logger placed
 * before `apiKeyAuth` would print a key sent in the query; this one removes the keyward's query
 * parameter from each line and redacts key-shaped text, then hands the line to `print`.
 * @param keyward - the keyward whose query parameter and key format are redacted
 * @param print - where lines go @defaultValue console.log
 * @example
 * app.use(logger(createHonoLogPrinter(keyward)))
 */
export function createHonoLogPrinter(
	keyward: Keyward,
	print: (line: string, ...rest: string[]) => void = console.log,
): (line: string, ...rest: string[]) => void {
	const redact = createLogRedactor(keyward)
	return function printRedacted(line, ...rest) {
		print(redact(line), ...rest.map(redact))
	}
}
