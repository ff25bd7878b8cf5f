export { type CliIo, runCli } from './cli.js'
export type {
	AuditLog,
	DatabaseLocation,
	OpenDatabase,
	OpenDatabaseFn,
	OpenDatabaseOptions,
} from './database.js'
export { formatDuration, MAX_DURATION_MS, parseDuration } from './duration.js'
