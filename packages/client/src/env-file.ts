import { readFile } from 'node:fs/promises'
import { parseEnv } from 'node:util'
import { KeywardClientError } from './errors.js'

/**
 * Variables of a `.env` file, parsed by Node's own parser (`util.parseEnv`, the one behind
 * `node --env-file`). Nothing is copied into `process.env`.
 *
 * With `required` a missing file throws `KeywardClientError('env_file_not_found')`; otherwise it
 * reads as empty.
 */
export async function readEnvFile(
	path: string,
	required: boolean,
): Promise<Record<string, string | undefined>> {
	let text: string
	try {
		text = await readFile(path, 'utf8')
	} catch (error) {
		const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
		if (code === 'ENOENT' && !required) return {}
		if (code === 'ENOENT') {
			throw new KeywardClientError('env_file_not_found', `The env file ${path} does not exist.`, {
				cause: error,
			})
		}
		throw error
	}
	return parseEnv(text)
}
