export { isSameOriginRequest, type SameOriginCheck } from './cross-site.js'
export {
	hasRequestBody,
	isJsonMediaType,
	mediaTypeOf,
	type RequestBody,
	readRequestBody,
	type WithHeaders,
} from './request-body.js'
