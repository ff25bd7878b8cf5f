export { type ApiKeyAuthOptions, apiKeyAuth } from './api-key-auth.js'
export { requireScopes } from './require-scopes.js'
export { type KeyManagementOptions, keyManagementRouter } from './self-service.js'
