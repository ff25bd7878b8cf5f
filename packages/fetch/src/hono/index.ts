export { type ApiKeyAuthOptions, apiKeyAuth, requireScopes, type SkipContext } from './api-key-auth.js'
export { type ClientOf, socketAddress } from './hono-request.js'
export { type KeyManagementOptions, keyManagementApp } from './key-management.js'
export { createHonoLogPrinter } from './log-printer.js'
