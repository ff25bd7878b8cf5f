export { type ApiKeyAuthOptions, apiKeyAuth, requireScopes } from './api-key-auth.js'
export { type KeyManagementOptions, keyManagementRouter } from './self-service.js'
