export { readWebRequestBody } from './request-body.js'
export { RequestView } from './request-view.js'
export { refusalResponse, withHeaders, withoutCredentials } from './responses.js'
export {
	createRequestVerifier,
	type RequestVerification,
	type RequestVerifierOptions,
	type SkipRequest,
} from './verify-request.js'
export { type ApiKeyRouteHandler, withApiKey } from './with-api-key.js'
