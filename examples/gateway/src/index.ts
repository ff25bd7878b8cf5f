export { createEdge, type EdgeOptions } from './edge.js'
export { type GatewayOptions, REPORTS_AUDIENCE, type RunningGateway, startGateway } from './gateway.js'
export { createInternalService, type InternalServiceOptions } from './internal-service.js'
