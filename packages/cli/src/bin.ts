#!/usr/bin/env node
import { runCli } from './cli.js'

// The embedded database holds key hashes and the audit trail: files it creates are the user's alone.
process.umask(0o077)
process.exitCode = await runCli(process.argv.slice(2))
