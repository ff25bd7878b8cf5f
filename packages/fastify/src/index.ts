export {
	type ApiKeyAuthOptions,
	apiKeyAuth,
	type KeywardHook,
	requireScopes,
	type SkipRequest,
} from './api-key-auth.js'
export { type KeywardAuthOptions, keywardAuth } from './plugin.js'
export { type KeyManagementOptions, keyManagementRoutes } from './self-service.js'
export { createFrameworkErrorHandler, createLogSerializers, type LoggedRequest } from './server-options.js'
