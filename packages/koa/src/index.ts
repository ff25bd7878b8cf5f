export { apiKeyAuth } from './api-key-auth.js'
export type { ApiKeyAuthOptions } from './options.js'
export { requireScopes } from './require-scopes.js'
export { type KeyManagementOptions, keyManagementRouter } from './self-service.js'
