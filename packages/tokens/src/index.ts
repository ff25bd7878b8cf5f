export { asTokenClaims, keyInfoFromClaims, parseScope } from './claims.js'
export {
	createTokenIssuer,
	type MintOptions,
	type MintSource,
	type TokenIssuer,
	type TokenIssuerOptions,
} from './issuer.js'
export type { RetireOptions, RotateOptions, SigningKeyState, SigningKeyStatus } from './key-ring.js'
export { bearerChallenge, TOKEN_REJECTIONS } from './rejections.js'
export {
	exportSigningKey,
	type GenerateSigningKeyOptions,
	generateSigningKey,
	type ImportSigningKeyOptions,
	importSigningKey,
	type SigningKey,
} from './signing-key.js'
export type { TokenAuthOptions } from './token-auth.js'
export type { JwksHandlerOptions, TokenHandlerOptions, TokenResponseBody } from './token-endpoint.js'
export type {
	MintFailure,
	MintRequestFailure,
	MintResult,
	MintSuccess,
	SigningAlgorithm,
	TokenClaims,
	TokenRejectCode,
	TokenRejectStatus,
	TokenVerifyFailure,
	TokenVerifyResult,
	TokenVerifySuccess,
} from './types.js'
export {
	createTokenVerifier,
	type JwksSource,
	type TokenCheckOptions,
	type TokenVerifier,
	type TokenVerifierOptions,
} from './verifier.js'
