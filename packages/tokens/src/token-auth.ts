import { SCOPE_PATTERN } from '@keyward/core/adapter'
import { checkOptionNames, fail } from './options.js'
import { createTokenVerifier, type TokenVerifier, type TokenVerifierOptions } from './verifier.js'

/** Options of `tokenAuth` (Express and Koa). Invalid options throw `KeywardError('invalid_option')`. */
export interface TokenAuthOptions {
	/** Every one of these scopes is required (403 `insufficient_scope` otherwise). @defaultValue [] */
	scopes?: readonly string[] | undefined
	/**
	 * Let requests without bearer credentials through, without `apiKey` and `token`. A bad token is
	 * still refused. @defaultValue false
	 */
	optional?: boolean | undefined
}

/** {@link TokenAuthOptions} after validation, with the verifier to use. */
export interface ResolvedTokenAuth {
	readonly verifier: TokenVerifier
	readonly scopes: readonly string[]
	readonly optional: boolean
}

function isVerifier(value: unknown): value is TokenVerifier {
	const candidate = value as Partial<TokenVerifier> | null
	return (
		typeof candidate === 'object' &&
		candidate !== null &&
		typeof candidate.verify === 'function' &&
		typeof candidate.verifyRequest === 'function'
	)
}

/** Resolve `tokenAuth`'s arguments once: a verifier (or the options to create one) and the middleware options. */
export function resolveTokenAuth(
	verifier: TokenVerifier | Readonly<TokenVerifierOptions>,
	options: Readonly<TokenAuthOptions>,
): ResolvedTokenAuth {
	checkOptionNames(options, ['scopes', 'optional'], 'tokenAuth options')
	const scopes = options.scopes ?? []
	if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && SCOPE_PATTERN.test(s))) {
		fail('scopes must be a list of valid scopes')
	}
	if (options.optional !== undefined && typeof options.optional !== 'boolean')
		fail('optional must be a boolean')
	return {
		verifier: isVerifier(verifier) ? verifier : createTokenVerifier(verifier),
		scopes: Object.freeze([...scopes]),
		optional: options.optional ?? false,
	}
}
