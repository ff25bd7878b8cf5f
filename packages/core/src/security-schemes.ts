import { type ExtractOptions, type ExtractSettings, extractSettings } from './extract.js'
import type { Keyward } from './keyward.js'

/** An OpenAPI 3.1 Security Scheme Object of type `apiKey`. */
export interface ApiKeySecurityScheme {
	readonly type: 'apiKey'
	readonly in: 'header' | 'query'
	readonly name: string
	readonly description: string
}

/** Component names are `^[a-zA-Z0-9._-]+$` in OpenAPI. */
function componentName(kind: string, name: string): string {
	return `apiKey_${kind}_${name.replace(/[^A-Za-z0-9._-]/g, '_')}`
}

/**
 * The `components.securitySchemes` entries of an OpenAPI 3.1 description that match where keys are
 * read: one `apiKey` scheme per `Authorization` scheme, per custom header and for the query
 * parameter, as the keyward (or the `extract` options) configures them. Any one of them
 * authenticates a request, so the `security` requirement lists each on its own.
 * @param source - a keyward, or its `extract` options
 * @example
 * const schemes = securitySchemes(keyward)
 * const document = {
 *   openapi: '3.1.0',
 *   components: { securitySchemes: schemes },
 *   security: Object.keys(schemes).map((name) => ({ [name]: [] })),
 *   // ...
 * }
 */
export function securitySchemes(
	source: Keyward | Readonly<ExtractOptions> = {},
): Record<string, ApiKeySecurityScheme> {
	const settings: ExtractSettings =
		typeof (source as Partial<Keyward>).verifyKey === 'function'
			? (source as Keyward).extract
			: extractSettings(source as ExtractOptions)
	const schemes: Record<string, ApiKeySecurityScheme> = {}
	for (const scheme of settings.schemes) {
		schemes[componentName('authorization', scheme)] = {
			type: 'apiKey',
			in: 'header',
			name: 'Authorization',
			description: `The API key after the ${scheme} scheme: \`Authorization: ${scheme} <key>\`.`,
		}
	}
	for (const header of settings.headers) {
		schemes[componentName('header', header)] = {
			type: 'apiKey',
			in: 'header',
			name: header,
			description: `The API key alone: \`${header}: <key>\`.`,
		}
	}
	if (settings.query !== false) {
		schemes[componentName('query', settings.query)] = {
			type: 'apiKey',
			in: 'query',
			name: settings.query,
			description: `The API key as the \`${settings.query}\` query parameter (removed from the URL the application sees).`,
		}
	}
	return schemes
}
