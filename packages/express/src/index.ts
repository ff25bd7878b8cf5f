export { type ApiKeyAuthOptions, apiKeyAuth, requireScopes } from './api-key-auth.js'
export { type LeakReportHandlerOptions, leakReportHandler } from './leak-report.js'
export { type KeyManagementOptions, keyManagementRouter } from './self-service.js'
export { type SessionHandlerOptions, sessionLogin, sessionLogout } from './session.js'
