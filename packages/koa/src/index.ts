export { apiKeyAuth } from './api-key-auth.js'
export type { ApiKeyAuthOptions } from './options.js'
export { requireScopes } from './require-scopes.js'
