export { failingStore } from '@keyward/core/testing'
export {
	type AppBuilder,
	type AuthApp,
	type AuthExports,
	type AuthOptions,
	expectUrls,
	mentions,
	type NodeAdapterExports,
	type NodeAdapterFunction,
	type RequestView,
	type Seen,
	type UrlForm,
} from './adapter-app.js'
export { describeAdapterExtraction, type ExtractingAdapter } from './adapter-extract.js'
export { type AdapterApp, describeAdapterFaults } from './adapter-faults.js'
export { describeAdapterFuzz, type FuzzAdapter } from './adapter-fuzz.js'
export {
	type Answer,
	CHALLENGE,
	expectRefusal,
	hangingStore,
	secret,
	send,
	sendRaw,
	serve,
	tamper,
	useHarness,
} from './adapter-harness.js'
export { describeAdapterHiding, type HidingAdapter, type HidingHelpers } from './adapter-hide.js'
export { describeAdapterHostileRequests, type HostileAdapter } from './adapter-hostile.js'
export {
	describeKeyManagementRouter,
	type HeaderReader,
	type KeyRouteMethod,
	type KeyRouterAdapter,
	type KeyRouterHelpers,
	policyFor,
} from './adapter-key-router.js'
export { describeKeyManagementAttacks } from './adapter-key-router-attacks.js'
export { describeKeyManagementOpenApi } from './adapter-key-router-openapi.js'
export { describeLeakReportHandler, type LeakReportAdapter } from './adapter-leak-report.js'
export { describeAdapterFailureLimit, type LimitedAdapter } from './adapter-limit.js'
export { describeAdapterLogging, type LoggedRequest, type RequestLog } from './adapter-logging.js'
export type { MiddlewareAdapter } from './adapter-middleware.js'
export { describeAdapterOptions, type OptionsAdapter } from './adapter-options.js'
export { describeAdapterProperties } from './adapter-properties.js'
export { describeAdapterSessions, type SessionAdapter, type SessionAppOptions } from './adapter-sessions.js'
export { describeAdapterStatus } from './adapter-status.js'
export {
	countBytesRead,
	ENDLESS_BODY_CAP,
	type EndlessBodyOutcome,
	sendEndlessBody,
} from './endless-body.js'
export { pgBouncerUrl, probePgBouncer, probeRedisCluster, redisClusterNodes } from './fleet-services.js'
export {
	answerProblem,
	type HeaderView,
	type HttpAnswer,
	hostileRequest,
	inject,
	type Keyring,
	type PlainRequest,
	plainRequestBytes,
	requestBytes,
	sendHttp,
} from './hostile-http.js'
export { type Load, type LoadSample, startLoad } from './load.js'
export { uniqueName } from './names.js'
export { type NodeProcess, startNodeProcess } from './processes.js'
export { expectFiveMinuteExample, readmeBlock, startReadmeExample } from './readme.js'
export {
	probeRedisBinaries,
	startRedisCluster,
	type ThrowawayCluster,
	type ThrowawayClusterOptions,
} from './redis-cluster.js'
export {
	type ReportKeyServer,
	type ReportSignatureHeaders,
	startReportKeyServer,
} from './report-keys.js'
export {
	pgUrl,
	probePostgres,
	probeRedis,
	redactUrl,
	redisUrl,
	requireServices,
	type ServiceProbe,
	useService,
} from './services.js'
export { type StartedScript, startExample, startScript } from './start-script.js'
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js'
